/**
 * Redis behaviours every client must show, as functions over the client under test: redisStore.test.ts runs them on
 * ioredis, redisNodeRedis.test.ts on each node-redis major.
 */
import { expect } from 'vitest';
import { RateLimiter, type RedisClientLike, RedisStore } from '../src/index.js';
import { clusterSlot } from '../src/stores/redis/clusterSlot.js';
import { DECISION_TIMEOUT_MS, uniquePrefix } from './setup/redisTarget.js';

/** Two limiters whose clocks are an hour apart agree, because the script reads Redis' TIME. */
export async function expectRedisTimeDecides(client: RedisClientLike): Promise<void> {
  const options = { capacity: 4, refillRate: 1, interval: '1h' as const, prefix: uniquePrefix('skew') };
  const early = new RateLimiter({
    ...options,
    store: new RedisStore({ client }),
    timeoutMs: DECISION_TIMEOUT_MS,
    clock: () => Date.now() - 3_600_000,
  });
  const late = new RateLimiter({
    ...options,
    store: new RedisStore({ client }),
    timeoutMs: DECISION_TIMEOUT_MS,
    clock: () => Date.now() + 3_600_000,
  });
  const seen = [];
  for (let i = 0; i < 3; i++) {
    seen.push(await early.consume('user'));
    seen.push(await late.consume('user'));
  }
  expect(seen.map((d) => d.allowed)).toEqual([true, true, true, true, false, false]);
  expect(seen.map((d) => d.remaining)).toEqual([3, 2, 1, 0, 0, 0]);
  // With the local clocks, the late limiter would see 2 tokens refilled; with Redis time both agree.
  const [a, b] = [seen[4], seen[5]];
  expect(Math.abs((a?.retryAfterMs ?? 0) - (b?.retryAfterMs ?? 0))).toBeLessThan(1000);
  expect(a?.retryAfterMs).toBeGreaterThan(890_000);
}

/** On a Cluster client: one tick of calls on keys in many slots, two bands per key (one slot by hash tag), exact. */
export async function expectClusterSlotsExact(client: RedisClientLike): Promise<void> {
  const limiter = new RateLimiter({
    limits: [
      { capacity: 3, refillRate: 1, interval: '1h' },
      { capacity: 5, refillRate: 1, interval: '1d' },
    ],
    prefix: uniquePrefix('slots'),
    store: new RedisStore({ client }),
    // About exact decisions, not timeouts: a loaded run must not hand these calls to onStoreError.
    timeoutMs: DECISION_TIMEOUT_MS,
  });
  const keys = Array.from({ length: 40 }, (_, i) => `user:${i}`);
  const decisions = await Promise.all(keys.flatMap((key) => [limiter.consume(key), limiter.consume(key, 2), limiter.consume(key)]));
  expect(decisions.map((d) => d.allowed)).toEqual(keys.flatMap(() => [true, true, false]));
  expect(new Set(keys.map((key) => clusterSlot(RedisStore.keyOf(limiter, key)))).size).toBeGreaterThan(30);
}
