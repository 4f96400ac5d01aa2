/**
 * The HTTP part of `npm run demo`: an Express app and a Fastify app on 127.0.0.1, each behind sluice,
 * get a burst from autocannon; per app it prints how many requests got 200 and 429, and one limited
 * response's headers. Then delaying: an app with `delay` gets a burst and answers every request, the ones
 * over the limit after a hold, at the refill rate. In-memory store; with REDIS_URL set, a RedisStore on
 * that server. It prints no throughput: a burst this small measures autocannon's pace, not sluice's.
 */
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import express, { type Express } from 'express';
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
  await serveExpress(app, (url) => burst('Express 5', url));
}

/** Serves an Express app on a free loopback port while `use` runs, then closes it. */
async function serveExpress(app: Express, use: (url: string) => Promise<void>): Promise<void> {
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
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

/** Delaying instead of refusing: a burst of 15 on a bucket of 5 refilled at 10 per second all get 200, the last 10 held. */
async function delayDemo(): Promise<void> {
  const shaping = { capacity: 5, refillRate: 10, interval: '1s', delay: { maxWaitMs: 3000, maxHeld: 100 } } as const;
  const app = express();
  app.use(rateLimit({ ...shaping, ...store.options('express-delay') }));
  app.get('/', (_req, res) => {
    res.send('hello');
  });
  await serveExpress(app, async (url) => {
    const started = performance.now();
    const answered = await Promise.all(
      Array.from({ length: 15 }, async () => {
        const response = await fetch(url);
        await response.text();
        return { status: response.status, afterMs: performance.now() - started };
      }),
    );
    const ok = answered.filter((reply) => reply.status === 200).length;
    const refused = answered.length - ok;
    // Held: let through later than the burst by more than half a token's emission interval.
    const emissionMs = 1000 / shaping.refillRate;
    const first = Math.min(...answered.map((reply) => reply.afterMs));
    const held = answered.filter((reply) => reply.status === 200 && reply.afterMs > first + emissionMs / 2);
    const last = Math.max(...answered.map((reply) => reply.afterMs));
    const heldSpanS = held.length === 0 ? 0 : (Math.max(...held.map((reply) => reply.afterMs)) - first) / 1000;
    const heldText =
      held.length === 0
        ? 'none was held'
        : `${held.length} over the limit ${held.length === 1 ? 'was' : 'were'} held and let through at about ` +
          `${(held.length / heldSpanS).toFixed(1)}/s (refill rate ${shaping.refillRate}/s)`;
    console.log(
      `Delaying (Express 5, delay: { maxWaitMs: ${shaping.delay.maxWaitMs} }, a bucket of ${shaping.capacity} refilled at ` +
        `${shaping.refillRate}/s): ${ok} × 200 of ${answered.length} sent at once, ${refused} refused; ${heldText}, ` +
        `the last answered after about ${(Math.round(last / 100) / 10).toFixed(1)} s\n`,
    );
  });
}

console.log(
  `\nsluice HTTP demo (${store.description}): ` +
    `${limit.capacity} requests of burst per client IP, refilled at ${limit.refillRate} per minute\n`,
);
try {
  await expressDemo();
  await fastifyDemo();
  await delayDemo();
} finally {
  await store.close();
}
