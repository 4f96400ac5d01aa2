/**
 * Child process of `npm run soak`: one app under test, answering IPC requests for its counters.
 *
 * - `express-redis <redisPort>`: Express + sluice on a RedisStore, with an in-memory insurance limiter
 *   as `onStoreError` (the recommended production setting), keyed by the `x-client` header.
 * - `fastify-memory <maxKeys>`: Fastify + sluice on a MemoryStore capped at `maxKeys`, for the key flood.
 *
 * Its ready value is the port it listens on; it answers `counters` requests. Forked with `--expose-gc`.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { rateLimit } from '../../adapters/express.js';
import { sluice } from '../../adapters/fastify.js';
import { type Decision, MemoryStore, RateLimiter, RedisStore } from '../../src/index.js';
import { serveParent } from '../lib/childServer.js';

export interface SoakCounters {
  allowed: number;
  denied: number;
  degraded: number;
  unhandledRejections: number;
  heapUsed: number;
  rss: number;
}

const [mode, arg] = process.argv.slice(2);
const counters: SoakCounters = { allowed: 0, denied: 0, degraded: 0, unhandledRejections: 0, heapUsed: 0, rss: 0 };
process.on('unhandledRejection', () => {
  counters.unhandledRejections++;
});
const clientKey = (req: { headers: Record<string, string | string[] | undefined> }) => String(req.headers['x-client'] ?? 'anonymous');
const count = (decision: Decision) => {
  if (decision.degraded) counters.degraded++;
  if (decision.allowed) counters.allowed++;
  else counters.denied++;
};

let close: () => Promise<void>;
let port: number;
if (mode === 'express-redis') {
  // As README recommends: no offline queue, so while Redis is away a call fails at once and the
  // fallback answers, instead of waiting out timeoutMs in ioredis' queue.
  const client = new Redis({
    host: '127.0.0.1',
    port: Number(arg),
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {}); // connection errors are expected while Redis is down; the limiter answers
  const insurance = new RateLimiter({ capacity: 20, refillRate: 10, interval: '1s', prefix: 'insurance:' });
  const limiter = new RateLimiter({
    capacity: 20,
    refillRate: 10,
    interval: '1s',
    store: new RedisStore({ client }),
    timeoutMs: 100,
    onStoreError: insurance,
  });
  const app = express();
  app.use(rateLimit({ limiter, key: clientKey, onDecision: (_req, decision) => count(decision) }));
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
  close = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    client.disconnect();
  };
} else if (mode === 'fastify-memory') {
  const app = Fastify();
  await app.register(sluice, {
    capacity: 10,
    refillRate: 1,
    interval: '1h',
    store: new MemoryStore({ maxKeys: Number(arg) }),
    key: clientKey,
    onDecision: (_req, decision) => count(decision),
  });
  app.get('/', async () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  close = () => app.close();
} else {
  throw new Error(`unknown soak server mode ${JSON.stringify(mode)}`);
}

const api = {
  /** The counters so far, with the memory now (after a full GC when `gc`). */
  counters: (gc = false): SoakCounters => {
    if (gc) (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    counters.heapUsed = memory.heapUsed;
    counters.rss = memory.rss;
    return counters;
  },
};
export type SoakServerApi = typeof api;

await serveParent({ api, start: async () => port, stop: close });
