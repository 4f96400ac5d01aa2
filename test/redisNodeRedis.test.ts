/**
 * RedisStore on node-redis (the `redis` package, majors 4, 5 and 6): the store contract on one server and on
 * Redis Cluster, the protocol and legacy-mode variants, the round-trip guarantees (one script call per batch,
 * NOSCRIPT fallback, Redis time, deny cache), failing fast while reconnecting, and the clients it refuses.
 */
import { Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { createClient as createClient5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Decision, RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import { DECIDE_BATCH_SHA } from '../src/stores/redis/lua/decideBatch.js';
import { expectClusterSlotsExact, expectRedisTimeDecides } from './redisClientCases.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import {
  DECISION_TIMEOUT_MS,
  NODE_REDIS_MAJORS,
  type NodeRedisMajor,
  nodeRedisClient,
  nodeRedisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from './setup/redisTarget.js';
import { storeContract } from './storeContract.js';

const single = redisOptions();
const cluster = redisClusterNodes();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const major of NODE_REDIS_MAJORS) {
  const client = single && (await nodeRedisClient(major));
  storeContract(`RedisStore on node-redis ${major}`, client && { makeStore: () => new RedisStore({ client, time: 'client' }) });
  const clusterClient = cluster && (await nodeRedisClusterClient(major));
  storeContract(
    `RedisStore on Redis Cluster through node-redis ${major}`,
    clusterClient && { makeStore: () => new RedisStore({ client: clusterClient, time: 'client' }) },
  );
}
const resp3 = single && (await nodeRedisClient(6, single, { RESP: 3 }));
storeContract('RedisStore on node-redis 6 speaking RESP3', resp3 && { makeStore: () => new RedisStore({ client: resp3, time: 'client' }) });
const legacy = single && (await nodeRedisClient(4, single, { legacyMode: true }));
storeContract(
  'RedisStore on node-redis 4 in legacy mode',
  legacy && { makeStore: () => new RedisStore({ client: legacy, time: 'client' }) },
);

/** Commands Redis ran, by name, from INFO commandstats. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) calls += Number(match[2]);
  return calls;
}

describe.skipIf(single === undefined).each(NODE_REDIS_MAJORS)('RedisStore on node-redis %i (own redis-server)', (major: NodeRedisMajor) => {
  let server: RedisServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis({ host: '127.0.0.1', port: server.port });
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  const ownClient = () => nodeRedisClient(major, { host: '127.0.0.1', port: server.port });

  it('decides the calls of one tick with one script call, and falls back to EVAL after SCRIPT FLUSH', async () => {
    const client = await ownClient();
    const limiter = new RateLimiter({
      capacity: 30,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('nr-batch'),
      store: new RedisStore({ client, maxBatchSize: 64 }),
      timeoutMs: DECISION_TIMEOUT_MS,
      onStoreError: 'throw',
    });
    await limiter.peek('warm-up');
    await admin.config('RESETSTAT');
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiter.consume(i % 2 === 0 ? 'hot' : `k${i}`)));
    expect(decisions.filter((d) => d.allowed).length).toBe(25 + 25);
    expect(await scriptCalls(admin)).toBe(1);
    await admin.script('FLUSH');
    expect(await admin.script('EXISTS', DECIDE_BATCH_SHA)).toEqual([0]);
    const batch = await Promise.all([limiter.consume('flushed'), limiter.consume('flushed')]);
    expect(batch.map((d) => [d.allowed, d.remaining, d.degraded])).toEqual([
      [true, 29, false],
      [true, 28, false],
    ]);
  });

  it('decides by Redis time: limiters whose clocks are an hour apart agree', async () => {
    await expectRedisTimeDecides(await ownClient());
  });

  it('answers a repeated denial from the deny cache with no round trip', async () => {
    const client = await ownClient();
    const limiter = new RateLimiter({
      capacity: 2,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('nr-deny'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('flood', 2);
    expect((await limiter.consume('flood')).allowed).toBe(false);
    await admin.config('RESETSTAT');
    for (let i = 0; i < 50; i++) expect((await limiter.consume('flood')).allowed).toBe(false);
    expect(await scriptCalls(admin)).toBe(0);
    await limiter.reset('flood');
    expect((await limiter.consume('flood')).allowed).toBe(true);
  });
});

describe.skipIf(single === undefined).each(NODE_REDIS_MAJORS)(
  'RedisStore on node-redis %i: Redis killed and restarted',
  (major: NodeRedisMajor) => {
    it('answers by onStoreError within timeoutMs while node-redis reconnects (no offline queue wait), then recovers by itself', async () => {
      let server = await startRedisServer();
      const client = await nodeRedisClient(major, { host: '127.0.0.1', port: server.port });
      try {
        const limiter = new RateLimiter({
          capacity: 1e6,
          refillRate: 1000,
          interval: '1s',
          prefix: uniquePrefix('nr-kill'),
          store: new RedisStore({ client }),
          timeoutMs: 300,
          onStoreError: 'deny',
        });
        expect((await limiter.consume('k')).degraded).toBe(false);
        await server.stop(true);
        await sleep(100);
        const outage: { took: number; decision: Decision }[] = [];
        for (let i = 0; i < 10; i++) {
          const started = performance.now();
          const decision = await limiter.consume('k');
          outage.push({ took: performance.now() - started, decision });
          await sleep(50);
        }
        expect(outage.every((s) => s.decision.degraded && !s.decision.allowed)).toBe(true);
        expect(Math.max(...outage.map((s) => s.took))).toBeLessThan(300 + 400);
        server = await startRedisServer({ port: server.port });
        const deadline = performance.now() + 10_000;
        let last: Decision | undefined;
        while (performance.now() < deadline) {
          last = await limiter.consume('k');
          if (!last.degraded) break;
          await sleep(50);
        }
        expect(last).toMatchObject({ allowed: true, degraded: false });
      } finally {
        await server.stop(true);
      }
    }, 30_000);
  },
);

describe.skipIf(cluster === undefined).each(NODE_REDIS_MAJORS)(
  'RedisStore on Redis Cluster through node-redis %i',
  (major: NodeRedisMajor) => {
    it('decides calls of one tick on keys in many slots, several bands per key in one slot (hash tag), exactly', async () => {
      await expectClusterSlotsExact(await nodeRedisClusterClient(major));
    });
  },
);

describe('RedisStore refuses clients it cannot use', () => {
  it('names `client` and says what was expected for a value of neither kind', () => {
    for (const client of [{}, { evalsha: () => undefined }, { isOpen: true }, 'redis://localhost', null]) {
      expect(() => new RedisStore({ client: client as never })).toThrow(SluiceConfigError);
      expect(() => new RedisStore({ client: client as never })).toThrow(
        /`client` must be a connected Redis client: ioredis .* or node-redis/,
      );
    }
  });

  it('refuses a node-redis client (of each major, and a Cluster) that was never connected', () => {
    // Passed as createClient() returns them: their types fit `client` without a cast.
    for (const make of [
      () => new RedisStore({ client: createClient() }),
      () => new RedisStore({ client: createClient4() }),
      () => new RedisStore({ client: createClient5() }),
    ]) {
      expect(make).toThrow(SluiceConfigError);
      expect(make).toThrow(/`client` must be a connected node-redis client: call `await client.connect\(\)` first/);
    }
    expect(() => new RedisStore({ client: createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] }) })).toThrow(/connect/);
  });

  it.skipIf(single === undefined)("refuses node-redis' callback interface (client.legacy()) with a clear error", async () => {
    const client = await nodeRedisClient(6);
    const legacyClient = (client as unknown as { legacy(): unknown }).legacy();
    expect(() => new RedisStore({ client: legacyClient as never })).toThrow(/`client` looks like node-redis' legacy interface/);
  });
});
