/**
 * The common test-suite setup: the app (and its limiters) built when the module is imported, fake timers
 * installed afterwards, in `beforeEach`. The default clock must follow them, and the timers sluice keeps
 * must survive their being installed and removed.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import { sluice } from '../adapters/fastify.js';
import { MemoryStore, RateLimiter, RedisStore } from '../src/index.js';
import { FailingStore } from './setup/failingStore.js';
import { redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

// Built at import, before any fake timer: one token a minute, two at once.
const limit = { capacity: 2, refillRate: 1, interval: '1m' } as const;
const limiter = new RateLimiter(limit);

const app = express();
app.use(rateLimit(limit));
app.get('/', (_req, res) => {
  res.send('ok');
});
const server = app.listen(0, '127.0.0.1');

const fastify = Fastify();
await fastify.register(sluice, limit);
fastify.get('/', async () => 'ok');
await fastify.ready();

const single = redisOptions();
const redisLimiter =
  single &&
  new RateLimiter({ ...limit, store: new RedisStore({ client: redisClient(), time: 'client' }), prefix: uniquePrefix('fake-timers') });

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fastify.close();
});

describe('fake timers installed after the limiter was built', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drive the default clock: consume, consumeSync and peek see the refill', async () => {
    const key = 'refill';
    expect([limiter.consumeSync(key).allowed, (await limiter.consume(key)).allowed, limiter.consumeSync(key).allowed]).toEqual([
      true,
      true,
      false,
    ]);
    vi.advanceTimersByTime(30_000);
    expect((await limiter.peek(key)).remaining).toBe(0);
    vi.advanceTimersByTime(30_000);
    expect((await limiter.peek(key)).remaining).toBe(1);
    expect(limiter.consumeSync(key).allowed).toBe(true);
    expect(limiter.consumeSync(key)).toMatchObject({ allowed: false, retryAfterMs: 60_000 });
  });

  it('drive an Express app built before them', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(url)).status);
    vi.advanceTimersByTime(60_000);
    statuses.push((await fetch(url)).status);
    expect(statuses).toEqual([200, 200, 429, 200]);
  });

  it('drive a Fastify app built before them', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await fastify.inject({ method: 'GET', url: '/' })).statusCode);
    vi.advanceTimersByTime(60_000);
    statuses.push((await fastify.inject({ method: 'GET', url: '/' })).statusCode);
    expect(statuses).toEqual([200, 200, 429, 200]);
  });

  it.skipIf(redisLimiter === undefined)("drive a RedisStore limiter with time: 'client'", async () => {
    const redis = redisLimiter as RateLimiter;
    const decisions = [(await redis.consume('k')).allowed, (await redis.consume('k')).allowed, (await redis.consume('k')).allowed];
    vi.advanceTimersByTime(60_000);
    decisions.push((await redis.consume('k')).allowed);
    expect(decisions).toEqual([true, true, false, true]);
  });
});

// The real ones, for waiting while fake timers are installed.
const realSetTimeout = globalThis.setTimeout;

/** Resolves with `promise`'s value, or with 'still pending' after `ms` of real time. */
function withinRealMs<T>(promise: Promise<T>, ms: number): Promise<T | 'still pending'> {
  return Promise.race([promise, new Promise<'still pending'>((resolve) => setTimeout(() => resolve('still pending'), ms))]);
}

describe('timers sluice keeps, across fake timers installed and removed', () => {
  it("a store call's timeout still fires after fake timers made its timer and were removed", async () => {
    const hanging = new RateLimiter({ capacity: 5, refillRate: 5, store: new FailingStore('hang'), timeoutMs: 50, onStoreError: 'deny' });
    vi.useFakeTimers();
    const underFakeTimers = hanging.consume('a'); // its timeout timer is a fake one
    vi.useRealTimers(); // ...which is gone now
    expect(await withinRealMs(hanging.consume('b'), 2000)).toMatchObject({ allowed: false, degraded: true });
    expect(await withinRealMs(underFakeTimers, 2000)).toMatchObject({ allowed: false, degraded: true });
  });

  it("a store call's timeout still fires when the fake timer it replaces is overdue by exactly one timeout", async () => {
    const hanging = new RateLimiter({ capacity: 5, refillRate: 5, store: new FailingStore('hang'), timeoutMs: 50, onStoreError: 'deny' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }); // performance.now() starts at 0
    const underFakeTimers = hanging.consume('a'); // its timer is a fake one, due at 0 + 50 + 1 ms
    vi.useRealTimers(); // ...which will never fire now
    vi.useFakeTimers({ toFake: ['performance'] }); // performance.now() from 0 again, real timers
    try {
      vi.advanceTimersByTime(51 + 50); // the dead timer is now exactly one timeout overdue
      const later = hanging.consume('b'); // replaces the dead timer with a real one
      expect(await withinRealMs(underFakeTimers, 2000)).toMatchObject({ allowed: false, degraded: true });
      vi.useRealTimers(); // the frozen fake clock would never bring the later call's deadline
      expect(await withinRealMs(later, 2000)).toMatchObject({ allowed: false, degraded: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it("MemoryStore's background sweep, started before fake timers, finishes while they are installed", async () => {
    let now = 0;
    const store = new MemoryStore({ sweepInterval: 20 });
    const memory = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => now });
    for (let i = 0; i < 25_000; i++) memory.consumeSync(`k${i}`); // the first key starts the (real) sweep interval
    now = 10_000; // every key is full again
    await memory.peek('now');
    vi.useFakeTimers(); // a sweep walks 10,000 keys per event-loop turn, then goes on with setImmediate
    try {
      for (let waited = 0; store.size > 0 && waited < 3000; waited += 20) await new Promise((resolve) => realSetTimeout(resolve, 20));
      expect(store.size).toBe(0);
    } finally {
      vi.useRealTimers();
      store.close();
    }
  });

  it.skipIf(single === undefined)('a cached Redis denial does not outlive the denial when performance.now() jumps back', async () => {
    const store = new RedisStore({ client: redisClient() }); // time: 'redis', deny cache on
    const redis = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300, store, prefix: uniquePrefix('deny-cache') });
    expect((await redis.consume('k')).allowed).toBe(true);
    expect((await redis.consume('k')).allowed).toBe(false); // cached: answered locally until the token is due
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      await new Promise((resolve) => setTimeout(resolve, 400)); // real time: Redis refills the token
      expect((await redis.consume('k')).allowed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
