/**
 * What one script call carries (read with MONITOR on a redis-server of its own, started and stopped by PID here):
 * a batch of cost-1 calls of one limiter sends that limiter's settings once, so each further call adds only its
 * keys; a batch from two limiters sends each one's settings once.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, RedisStore } from '../src/index.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import { DECISION_TIMEOUT_MS, redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

const available = redisOptions() !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!available)('RedisStore script arguments per batch', () => {
  let server: RedisServer;
  let client: Redis;
  let monitor: Redis;
  const seen: string[][] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    client = redisClient({ host: '127.0.0.1', port: server.port });
    monitor = await redisClient({ host: '127.0.0.1', port: server.port }).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'evalsha') seen.push(args);
    });
  });
  afterAll(async () => {
    monitor.disconnect();
    client.disconnect();
    await server?.stop();
  });

  /** Once MONITOR (on its own connection) has reported an EVALSHA, and a little longer for any other. */
  const reported = async () => {
    for (let waited = 0; seen.length === 0 && waited < 5000; waited += 10) await sleep(10);
    await sleep(50);
  };

  /** The EVALSHA arguments of the one script call that decides `calls` (made in one tick). */
  const argsOfBatch = async (calls: () => Promise<unknown>[]) => {
    await Promise.all(calls());
    await reported();
    const batch = seen.splice(0);
    expect(batch.map((args) => args.length)).toHaveLength(1);
    return batch[0] as string[];
  };

  const limiterOf = (capacity: number, store = new RedisStore({ client })) =>
    new RateLimiter({
      capacity,
      refillRate: 1,
      interval: '1s',
      prefix: uniquePrefix('args'),
      store,
      timeoutMs: DECISION_TIMEOUT_MS,
    });

  it('sends one limiter’s settings once for its whole batch: each further call adds its key and nothing else', async () => {
    const limiter = limiterOf(10);
    await limiter.peek('warm-up'); // loads the script: every call below goes by EVALSHA
    await reported();
    seen.length = 0;
    const sizes: number[] = [];
    for (const count of [1, 2, 5]) {
      const args = await argsOfBatch(() => Array.from({ length: count }, (_, i) => limiter.consume(`k${count}-${i}`)));
      expect(Number(args[2])).toBe(count); // one key per call (one band)
      sizes.push(args.length);
    }
    expect([sizes[1]! - sizes[0]!, sizes[2]! - sizes[0]!]).toEqual([1, 4]);
  });

  it('sends each of two limiters’ settings once when their calls share a batch', async () => {
    const store = new RedisStore({ client });
    const first = limiterOf(10, store);
    const second = limiterOf(20, store);
    await first.peek('warm-up');
    await reported();
    seen.length = 0;
    const one = await argsOfBatch(() => [first.consume('a'), second.consume('a')]);
    const many = await argsOfBatch(() => [1, 2, 3].flatMap((i) => [first.consume(`b${i}`), second.consume(`b${i}`)]));
    // Four more calls: each adds its key and its limiter's index, the settings stay as they were.
    expect(many.length - one.length).toBe(4 * 2);
  });
});
