/**
 * The client adapter of RedisStore on real clients of each library: how it tells the kinds apart (and the
 * clients it refuses, with their whole messages), the connection state it reports while a client is closed or
 * reconnecting, the slot master of each hash slot, script replies under a node-redis type mapping, EVAL on a
 * node-redis Cluster, and which node gets the scripts and DEL when a Sentinel or Cluster client may read from
 * replicas.
 */
import { Redis } from 'ioredis';
import { createCluster, createSentinel, RESP_TYPES } from 'redis';
import { createCluster as createCluster4 } from 'redis4';
import { createCluster as createCluster5, createSentinel as createSentinel5 } from 'redis5';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, RedisStore, SluiceStoreError } from '../src/index.js';
import { adaptClient, connectionError } from '../src/stores/redis/redisClientAdapter.js';
import { configError } from './http/configError.js';
import { type ReplicatedShard, startReplicatedShard } from './setup/redisReplicatedShard.js';
import { SENTINEL_MASTER_NAME, type SentinelGroup, sentinelAvailable, sentinelsReady, startSentinelGroup } from './setup/redisSentinel.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import {
  DECISION_TIMEOUT_MS,
  NODE_REDIS_MAJORS,
  type NodeRedisMajor,
  nodeRedisClient,
  nodeRedisClusterClient,
  redisClient,
  redisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from './setup/redisTarget.js';

const single = redisOptions();
const cluster = redisClusterNodes();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The message of the error connectionError gives for `client` (undefined when it is connected). */
const notConnectedMessage = (client: unknown) => connectionError(adaptClient(client))?.message;

/**
 * A limiter of `capacity` tokens (1 an hour) on `client` decides exactly: each token taken, then a denial until the
 * token is due; a reset gives them back. Returns the limiter.
 */
async function expectExactDecisions(client: unknown, capacity: number): Promise<RateLimiter> {
  const limiter = new RateLimiter({
    capacity,
    refillRate: 1,
    interval: '1h',
    prefix: uniquePrefix('adapter'),
    store: new RedisStore({ client: client as never }),
    timeoutMs: DECISION_TIMEOUT_MS,
    onStoreError: 'throw',
  });
  const decisions = [];
  for (let i = 0; i <= capacity; i++) decisions.push(await limiter.consume('k'));
  expect(decisions.map((d) => [d.allowed, d.remaining, d.retryAfterMs > 3_500_000])).toEqual([
    ...Array.from({ length: capacity }, (_, i) => [true, capacity - 1 - i, false]),
    [false, 0, true],
  ]);
  await limiter.reset('k');
  expect((await limiter.consume('k')).remaining).toBe(capacity - 1);
  return limiter;
}

const EXPECTED_CLIENT =
  'must be a connected Redis client: ioredis (new Redis() or new Redis.Cluster([...])) or node-redis (await createClient().connect(), createCluster or createSentinel)';

describe('RedisStore tells the client kinds apart', () => {
  const legacyInterface = "looks like node-redis' legacy interface (client.legacy()); pass the client itself";
  const noop = () => undefined;

  it("refuses a value with node-redis' legacy interface (sendCommand and multi, no isOpen) as such", () => {
    expect(configError(() => adaptClient({ sendCommand: noop, multi: noop })).message).toBe(
      `sluice: option \`client\` ${legacyInterface}; got { sendCommand: function noop, multi: function noop }`,
    );
  });

  it('refuses as of neither kind a value that has only one of sendCommand and multi, or has isOpen but not a boolean one', () => {
    for (const [value, described] of [
      [{ sendCommand: noop }, '{ sendCommand: function noop }'],
      [{ multi: noop }, '{ multi: function noop }'],
      [{ sendCommand: noop, multi: noop, isOpen: undefined }, '{ sendCommand: function noop, multi: function noop, isOpen: undefined }'],
    ] as const) {
      expect(configError(() => adaptClient(value)).message).toBe(`sluice: option \`client\` ${EXPECTED_CLIENT}; got ${described}`);
    }
  });

  it.skipIf(single === undefined)("refuses a real client's legacy() interface with the same message", async () => {
    const client = await nodeRedisClient(6);
    const legacy = (client as unknown as { legacy(): unknown }).legacy();
    expect(configError(() => new RedisStore({ client: legacy as never })).message).toMatch(
      new RegExp(`^sluice: option \`client\` ${legacyInterface.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; got `),
    );
  });

  it.skipIf(single === undefined)(
    'refuses a node-redis 4 client in legacy mode whose promise interface (client.v4) is gone, and uses it while there',
    async () => {
      const legacy = await nodeRedisClient(4, single, { legacyMode: true });
      // The client itself, seen without its `v4` property (as a wrapper that copies only the documented API would pass it).
      const withoutV4 = new Proxy(legacy, {
        get: (target, name) => (name === 'v4' ? undefined : Reflect.get(target, name, target)),
      });
      // Or with a `v4` that is not the promise interface (no sendCommand).
      const v4WithoutSendCommand = new Proxy(legacy, {
        get: (target, name) => (name === 'v4' ? { ping: () => 'PONG' } : Reflect.get(target, name, target)),
      });
      for (const client of [withoutV4, v4WithoutSendCommand]) {
        expect(configError(() => adaptClient(client)).message).toMatch(
          /^sluice: option `client` is a node-redis client in legacy mode without `client\.v4`; pass a client without legacyMode; got /,
        );
      }
      await expectExactDecisions(legacy, 2);
    },
  );
});

describe.skipIf(single === undefined)('the connection state each kind of client reports', () => {
  it('an ioredis client: connected, then ended by quit()', async () => {
    const client = redisClient();
    await client.ping();
    expect(notConnectedMessage(client)).toBeUndefined();
    const ended = new Promise((resolve) => client.once('end', resolve));
    await client.quit();
    await ended;
    expect(client.status).toBe('end');
    expect(notConnectedMessage(client)).toBe('sluice: Redis is not connected (ioredis status: end)');
  });

  it.each(NODE_REDIS_MAJORS)('a node-redis %i client: connected, then closed', async (major: NodeRedisMajor) => {
    const client = await nodeRedisClient(major);
    const adapted = adaptClient(client);
    expect(notConnectedMessage(client)).toBeUndefined();
    await (client as unknown as { disconnect(): Promise<void> }).disconnect();
    expect([client.isOpen, client.isReady]).toEqual([false, false]);
    expect(adapted.notConnected()).toBe('Redis is not connected (node-redis client closed)');
    expect(connectionError(adapted)).toEqual(new SluiceStoreError('sluice: Redis is not connected (node-redis client closed)'));
  });

  it.skipIf(cluster === undefined).each(NODE_REDIS_MAJORS)(
    'a node-redis %i Cluster client (no isReady before 6): connected, then closed',
    async (major: NodeRedisMajor) => {
      const client = await nodeRedisClusterClient(major);
      expect(client.isReady).toBe(major === 6 ? true : undefined);
      const adapted = adaptClient(client);
      expect(adapted.notConnected()).toBeUndefined();
      await (client as unknown as { disconnect(): Promise<void> }).disconnect();
      expect(client.isOpen).toBe(false);
      expect(adapted.notConnected()).toBe('Redis is not connected (node-redis client closed)');
    },
  );

  describe('node-redis clients whose server went away', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server?.stop(true);
    });

    it('report that they are reconnecting, and a store refuses to queue a call meanwhile', async () => {
      const clients = await Promise.all(NODE_REDIS_MAJORS.map((major) => nodeRedisClient(major, { host: '127.0.0.1', port: server.port })));
      const store = new RedisStore({ client: await nodeRedisClient(6, { host: '127.0.0.1', port: server.port }) });
      const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store, prefix: uniquePrefix('reconnecting') });
      await server.stop(true);
      for (let waited = 0; clients.some((client) => client.isReady) && waited < 10_000; waited += 20) await sleep(20);
      const reconnecting = 'sluice: Redis is not connected (node-redis is connecting or reconnecting)';
      for (const client of clients) {
        expect([client.isOpen, client.isReady]).toEqual([true, false]);
        expect(notConnectedMessage(client)).toBe(reconnecting);
      }
      const failed = await limiter.reset('k').then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(failed).toEqual(new SluiceStoreError('sluice: reset of key "k" failed in the store'));
      expect(failed?.cause).toEqual(new SluiceStoreError(reconnecting));
    });
  });
});

describe('the slot master each kind of client names', () => {
  it.skipIf(single === undefined)('none for a client of one server', async () => {
    expect(adaptClient(redisClient()).slotMaster(0)).toBe('');
    for (const major of NODE_REDIS_MAJORS) expect(adaptClient(await nodeRedisClient(major)).slotMaster(0)).toBe('');
  });

  describe.skipIf(cluster === undefined)('on Redis Cluster', () => {
    const slots = [0, 5000, 9000, 16383];
    /** `host:port` of each slot's master, as an ioredis Cluster client maps them. */
    async function mastersOf(): Promise<string[]> {
      const client = redisClusterClient();
      await client.ping();
      return slots.map((slot) => client.slots[slot]?.[0] ?? 'unknown');
    }

    it.each(NODE_REDIS_MAJORS)('node-redis %i: the host:port serving each slot', async (major: NodeRedisMajor) => {
      const masters = await mastersOf();
      expect(new Set(masters).size).toBe(3);
      const adapted = adaptClient(await nodeRedisClusterClient(major));
      expect(slots.map((slot) => adapted.slotMaster(slot))).toEqual(masters);
    });

    it.each([5, 6] as const)('node-redis %i: none once the client is closed (its slot map is gone)', async (major) => {
      const client = await nodeRedisClusterClient(major);
      const adapted = adaptClient(client);
      await (client as unknown as { destroy(): Promise<void> }).destroy();
      expect(() => client.getSlotMaster(0)).toThrow(TypeError);
      expect(slots.map((slot) => adapted.slotMaster(slot))).toEqual(['', '', '', '']);
    });

    it('none for a slot whose master has no known address or is missing', async () => {
      const client = await nodeRedisClusterClient(6);
      for (const master of [{}, { port: 7000 }, undefined]) {
        // The client as it would be while a slot's master is not (yet) known.
        const unresolved = new Proxy(client, {
          get: (target, name) => (name === 'getSlotMaster' ? () => master : Reflect.get(target, name, target)),
        });
        expect(adaptClient(unresolved).slotMaster(0)).toBe('');
      }
    });
  });
});

describe('node-redis replies under a type mapping, and EVAL on a Cluster', () => {
  const numbersAsStrings = { [RESP_TYPES.NUMBER]: String };
  interface Mappable {
    withTypeMapping(mapping: typeof numbersAsStrings): unknown;
  }

  it.skipIf(single === undefined).each([5, 6] as const)(
    'node-redis %i with integers mapped to strings: script replies read as numbers, decisions exact',
    async (major) => {
      const client = (await nodeRedisClient(major)) as unknown as Mappable;
      const mapped = client.withTypeMapping(numbersAsStrings);
      expect(await adaptClient(mapped).eval('return {1, 0, 42}', [], [])).toEqual([1, 0, 42]);
      await expectExactDecisions(mapped, 2);
    },
  );

  it.skipIf(cluster === undefined)('node-redis 6 Cluster with integers mapped to strings: the same', async () => {
    const client = (await nodeRedisClusterClient(6)) as unknown as Mappable;
    const mapped = client.withTypeMapping(numbersAsStrings);
    expect(await adaptClient(mapped).eval('return {1, 0, 42}', ['{k}'], [])).toEqual([1, 0, 42]);
    await expectExactDecisions(mapped, 2);
  });

  it.skipIf(cluster === undefined).each(NODE_REDIS_MAJORS)(
    'node-redis %i Cluster: EVAL runs a script in the slot of its first key',
    async (major: NodeRedisMajor) => {
      const adapted = adaptClient(await nodeRedisClusterClient(major));
      for (const key of ['a', 'b', 'c']) expect(await adapted.eval('return {7, tonumber(ARGV[1])}', [key], ['8'])).toEqual([7, 8]);
    },
  );
});

describe.skipIf(single === undefined || !(sentinelAvailable() || process.env.CI === 'true'))(
  'node-redis Sentinel clients that may read from replicas (replicaPoolSize)',
  () => {
    let group: SentinelGroup | undefined;
    const clients: { destroy(): void }[] = [];
    beforeAll(async () => {
      group = await startSentinelGroup();
      await sentinelsReady(group);
    }, 60_000);
    afterAll(async () => {
      for (const client of clients.splice(0)) client.destroy();
      await group?.stop();
    });

    it.each([5, 6] as const)('node-redis %i: the scripts and DEL go to the primary, not to a replica', async (major) => {
      if (group === undefined) throw new Error('no Sentinel group');
      const options = { name: SENTINEL_MASTER_NAME, sentinelRootNodes: group.sentinelEndpoints, replicaPoolSize: 1 };
      const client = major === 5 ? createSentinel5(options) : createSentinel(options);
      client.on('error', () => undefined);
      clients.push(client);
      await client.connect();
      await expectExactDecisions(client, 3);
    });
  },
);

describe.skipIf(cluster === undefined)('node-redis Cluster clients that may read from replicas (useReplicas)', () => {
  let shard: ReplicatedShard | undefined;
  const clients: { destroy?(): unknown; disconnect?(): unknown }[] = [];
  beforeAll(async () => {
    shard = await startReplicatedShard();
  }, 60_000);
  afterAll(async () => {
    for (const client of clients.splice(0)) await (client.destroy ?? client.disconnect)?.call(client);
    await shard?.stop();
  });

  it.each(NODE_REDIS_MAJORS)('node-redis %i: the scripts and DEL go to the master of the slot, not to its replica', async (major) => {
    if (shard === undefined) throw new Error('no replicated shard');
    const options = { rootNodes: [{ url: `redis://127.0.0.1:${shard.master.port}` }], useReplicas: true };
    const client = major === 4 ? createCluster4(options) : major === 5 ? createCluster5(options) : createCluster(options);
    client.on('error', () => undefined);
    clients.push(client);
    await client.connect();
    const limiter = await expectExactDecisions(client, 5);
    for (const key of ['a', 'b', 'c', 'd']) await limiter.consume(key);
    for (const key of ['a', 'b', 'c', 'd']) await limiter.reset(key);
    // Not even sent to the replica first: it would refuse a DEL with MOVED to its master (one more round trip). It
    // runs the master's writes as they are replicated, and no script.
    const replica = new Redis({ host: '127.0.0.1', port: shard.replica.port });
    try {
      const stats = await replica.info('commandstats');
      expect(stats.match(/^cmdstat_(evalsha|eval):/gm)).toBeNull();
      expect(stats).toMatch(/^cmdstat_del:calls=\d+,.*rejected_calls=0,failed_calls=0\r?$/m);
    } finally {
      replica.disconnect();
    }
  });
});
