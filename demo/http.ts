/**
 * The HTTP part of `npm run demo`: an Express app and a Fastify app on 127.0.0.1, each behind sluice,
 * get a burst from autocannon; per app it prints how many requests got 200 and 429, and one limited
 * response's headers. In-memory store; with REDIS_URL set, a RedisStore on that server. It prints no
 * timings: a burst this small measures autocannon's pace, not sluice's.
 */
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express from 'express';
import Fastify from 'fastify';
import { rateLimit } from '../adapters/express.js';
import sluice from '../adapters/fastify.js';
import { demoStore, exitWith } from './store.js';

declare module 'autocannon' {
  interface AutocannonOptions {
    /** Total requests to send (instead of a duration). */
    amount?: number;
  }
}

const BURST = 200;
const CONNECTIONS = 10;
// A slow refill (one token every 6 s), so the bucket is still empty when the burst is over.
const limit = { capacity: 50, refillRate: 10, interval: '1m' } as const;

const store = await demoStore().catch(exitWith);

async function burst(name: string, url: string): Promise<void> {
  const result = await autocannon({ url, connections: CONNECTIONS, amount: BURST });
  const count = (code: string) => result.statusCodeStats[code]?.count ?? 0;
  console.log(`${name}: ${count('200')} × 200, ${count('429')} × 429 (of ${BURST} requests, back to back on ${CONNECTIONS} connections)`);
  // The bucket is empty now: one more request shows what a limited client sees.
  const limited = await fetch(url);
  console.log(`  a limited response: ${limited.status} ${limited.statusText}`);
  for (const [header, value] of limited.headers) {
    if (/^(ratelimit|retry-after|content-type)/.test(header)) console.log(`    ${header}: ${value}`);
  }
  console.log(`    body: ${await limited.text()}\n`);
}

async function expressDemo(): Promise<void> {
  const app = express();
  app.use(rateLimit({ ...limit, ...store.options('express') }));
  app.get('/', (_req, res) => {
    res.send('hello');
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    await burst('Express 5', `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function fastifyDemo(): Promise<void> {
  const app = Fastify();
  await app.register(sluice, { ...limit, ...store.options('fastify') });
  app.get('/', async () => 'hello');
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    await burst('Fastify 5', `${address}/`);
  } finally {
    await app.close();
  }
}

console.log(
  `\nsluice HTTP demo (${store.description}): ` +
    `${limit.capacity} requests of burst per client IP, refilled at ${limit.refillRate} per minute\n`,
);
try {
  await expressDemo();
  await fastifyDemo();
} finally {
  await store.close();
}
