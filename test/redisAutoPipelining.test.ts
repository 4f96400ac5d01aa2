import { describe, expect, it } from 'vitest';
import { RateLimiter, RedisStore } from '../src/index.js';
import {
  DECISION_TIMEOUT_MS,
  redisClient,
  redisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from './setup/redisTarget.js';
import { storeContract } from './storeContract.js';

const single = redisOptions();
const cluster = redisClusterNodes();

storeContract(
  'RedisStore on a Cluster client with enableAutoPipelining',
  cluster && {
    makeStore: () => new RedisStore({ client: redisClusterClient({ enableAutoPipelining: true }), time: 'client' }),
  },
);

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe.skipIf(single === undefined)('RedisStore on an ioredis client with enableAutoPipelining', () => {
  const limiterOn = (client: ReturnType<typeof redisClient>, maxBatchesInFlight?: number) =>
    new RateLimiter({
      capacity: 30,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('autopipe'),
      timeoutMs: DECISION_TIMEOUT_MS,
      store: new RedisStore({ client, ...(maxBatchesInFlight === undefined ? {} : { maxBatchesInFlight }) }),
    });

  it("writes a flushed batch at once, not on ioredis' next auto-pipeline turn", async () => {
    const client = redisClient(single, { enableAutoPipelining: true });
    const limiter = limiterOn(client);
    await limiter.peek('warm-up');
    const decision = limiter.consume('k');
    await nextTurn(); // the store's flush ran
    expect(client.autoPipelineQueueSize).toBe(0);
    expect((await decision).allowed).toBe(true);
  });

  it('keeps several batches on their way while one is at Redis (maxBatchesInFlight), none held behind it', async () => {
    const admin = redisClient();
    const client = redisClient(single, { enableAutoPipelining: true });
    const limiter = limiterOn(client, 8);
    await limiter.peek('warm-up');
    // Script calls wait while Redis is paused: the first batch stays in flight.
    await admin.client('PAUSE', '150', 'WRITE');
    const calls = [limiter.consume('k0')];
    for (let i = 1; i <= 5; i++) {
      await nextTurn();
      calls.push(limiter.consume(`k${i}`));
    }
    await nextTurn();
    expect(client.autoPipelineQueueSize).toBe(0);
    const decisions = await Promise.all(calls);
    expect(decisions.every((d) => d.allowed && !d.degraded)).toBe(true);
  });

  it("leaves the client's auto-pipelining on for its other commands", async () => {
    const client = redisClient(single, { enableAutoPipelining: true });
    const limiter = limiterOn(client);
    const decisions = [limiter.consume('a'), limiter.consume('b')];
    await nextTurn();
    expect(client.options.enableAutoPipelining).toBe(true);
    const own = client.get(`${uniquePrefix('own')}x`);
    expect(client.autoPipelineQueueSize).toBe(1); // the user's command waits for ioredis' auto-pipeline as before
    expect(await own).toBeNull();
    expect((await Promise.all(decisions)).every((d) => d.allowed)).toBe(true);
  });

  it('answers from EVAL after SCRIPT FLUSH with auto-pipelining on', async () => {
    const admin = redisClient();
    const client = redisClient(single, { enableAutoPipelining: true });
    const limiter = limiterOn(client);
    expect((await limiter.consume('k', 30)).remaining).toBe(0);
    await admin.script('FLUSH');
    const denied = await limiter.consume('k');
    expect([denied.allowed, denied.degraded]).toEqual([false, false]);
    await admin.script('FLUSH');
    const fresh = await limiter.consume('other');
    expect([fresh.allowed, fresh.degraded, fresh.remaining]).toEqual([true, false, 29]);
  });
});
