/**
 * Which calls the deny cache may answer after Redis refused a key: only a plain consume (a cost for every band, no
 * wait). A charge, a refund and a wait must reach Redis, which answers them differently. On a redis-server of its
 * own (started and stopped by PID here), so that its command counts are this file's alone.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Decision, RateLimiter, RedisStore } from '../src/index.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import { DECISION_TIMEOUT_MS, redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

const available = redisOptions() !== undefined;

describe.skipIf(!available)('RedisStore deny cache: what it answers after a refusal', () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = redisClient({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    client.disconnect();
    await server?.stop();
  });

  /** Script calls (EVALSHA and EVAL) Redis ran since the last call of this function. */
  const scriptCallsSince = async () => {
    const info = await client.info('commandstats');
    await client.config('RESETSTAT');
    let calls = 0;
    for (const match of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(match[2]);
    return calls;
  };

  /** A limiter of 1 token, 5 per second, whose key `k` Redis has just refused (so the refusal is cached). */
  const refusedOnce = async () => {
    const limiter = new RateLimiter({
      capacity: 1,
      refillRate: 5,
      interval: '1s',
      prefix: uniquePrefix('scope'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).allowed).toBe(false);
    await scriptCallsSince();
    return limiter;
  };

  it('answers another plain consume of the refused key itself, without a script call', async () => {
    const limiter = await refusedOnce();
    const again = await limiter.consume('k');
    expect([again.allowed, again.degraded]).toEqual([false, false]);
    expect(again.retryAfterMs).toBeGreaterThan(0);
    expect(await scriptCallsSince()).toBe(0);
  });

  const reachRedis: [string, (limiter: RateLimiter) => Promise<Decision>][] = [
    // Redis takes the token (the bucket goes into debt) and allows: a charge is never refused.
    ['a charge', (limiter) => limiter.charge('k', 1)],
    // Redis gives a token back: the bucket has one, and the refund's decision says so.
    ['a refund', (limiter) => limiter.refund('k', 1)],
    // Redis reserves the token due in at most 200 ms, within the wait's 2 s: allowed after that delay.
    ['a wait', (limiter) => limiter.wait('k', 1, { maxWaitMs: 2000 })],
  ];

  it.each(reachRedis)('sends %s to Redis, which allows it', async (_name, call) => {
    const limiter = await refusedOnce();
    const decision = await call(limiter);
    expect([decision.allowed, decision.degraded]).toEqual([true, false]);
    expect(await scriptCallsSince()).toBe(1);
  });
});
