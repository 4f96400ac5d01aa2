/**
 * RedisStore on a Sentinel-managed Redis (primary, replica, three sentinels, see setup/redisSentinel.ts) through an
 * ioredis Sentinel connection and node-redis 5 and 6 `createSentinel`: the store contract, and deciding through a
 * failover (the primary killed by PID).
 */
import { Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { createSentinel } from 'redis';
import { createSentinel as createSentinel5 } from 'redis5';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Decision, RateLimiter, type RedisClientLike, RedisStore } from '../src/index.js';
import { SENTINEL_MASTER_NAME, type SentinelGroup, sentinelAvailable, sentinelsReady, startSentinelGroup } from './setup/redisSentinel.js';
import { redisOptions, uniquePrefix } from './setup/redisTarget.js';
import { storeContract } from './storeContract.js';

const available = redisOptions() !== undefined && (sentinelAvailable() || process.env.CI === 'true');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Closable {
  destroy?: () => unknown;
  disconnect?: () => unknown;
}
const opened: Closable[] = [];
/**
 * Closes every client opened so far. node-redis' Sentinel `destroy()` waits for its reconfiguration to end, which
 * after a failover can wait forever (see the failover test); the sentinel processes are killed by PID anyway.
 */
async function closeAll(): Promise<void> {
  for (const client of opened.splice(0)) {
    try {
      await Promise.race([(client.destroy ?? client.disconnect)?.call(client), sleep(5000)]);
    } catch {
      // already closed
    }
  }
}

/** An ioredis Sentinel connection to `group`'s primary. */
async function ioredisSentinel(group: SentinelGroup, major: 5 | 6 = 5): Promise<RedisClientLike> {
  const options = { sentinels: group.sentinelEndpoints, name: SENTINEL_MASTER_NAME, maxRetriesPerRequest: 1 };
  const client = major === 5 ? new Redis(options) : new Redis6(options);
  client.on('error', () => undefined); // connection errors are expected during the failover; ioredis would log each one
  opened.push(client);
  return client;
}

/** A node-redis Sentinel client of `major` (createSentinel exists from node-redis 5) to `group`, connected. */
async function nodeRedisSentinel(group: SentinelGroup, major: 5 | 6): Promise<RedisClientLike> {
  const options = {
    name: SENTINEL_MASTER_NAME,
    sentinelRootNodes: group.sentinelEndpoints,
  };
  const client = major === 5 ? createSentinel5(options) : createSentinel(options);
  client.on('error', () => undefined);
  opened.push(client);
  await client.connect();
  return client;
}

/** The Sentinel clients the tests run on. */
const SENTINEL_CLIENTS: [string, (group: SentinelGroup) => Promise<RedisClientLike>][] = [
  ['ioredis', (group) => ioredisSentinel(group, 5)],
  ['ioredis 6', (group) => ioredisSentinel(group, 6)],
  ['node-redis 5', (group) => nodeRedisSentinel(group, 5)],
  ['node-redis 6', (group) => nodeRedisSentinel(group, 6)],
];

/** Callers consuming concurrently in the failover test, each one call at a time. */
const CALLERS = 20;

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe.skipIf(!available)('RedisStore on Redis Sentinel: the store contract', () => {
  let group: SentinelGroup | undefined;
  const made = new Map<string, RedisClientLike>();
  beforeAll(async () => {
    group = await startSentinelGroup();
    await sentinelsReady(group);
    for (const [name, make] of SENTINEL_CLIENTS) made.set(name, await make(group));
  }, 60_000);
  afterAll(async () => {
    await closeAll();
    await group?.stop();
  });
  for (const [name] of SENTINEL_CLIENTS) {
    storeContract(`RedisStore on a Sentinel-managed primary through ${name}`, {
      makeStore: () => new RedisStore({ client: made.get(name) as RedisClientLike, time: 'client' }),
    });
  }
});

describe.skipIf(!available).each(SENTINEL_CLIENTS)('RedisStore on Redis Sentinel through %s: failover', (name, makeClient) => {
  let failoverGroup: SentinelGroup | undefined;
  beforeEach(async () => {
    process.on('unhandledRejection', onUnhandled);
    unhandled.length = 0;
    failoverGroup = await startSentinelGroup();
    await sentinelsReady(failoverGroup);
  }, 60_000);
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await closeAll();
    await failoverGroup?.stop();
  });

  // node-redis' Sentinel client can stay stuck after a failover: when it reconfigures while a sentinel still names the
  // dead primary as healthy, it reconnects to that address forever (redis/node-redis#3061), on a loaded machine now
  // and then. One more attempt, on a new group, tells that apart from a fault of the store, which would fail both.
  const attempts = { retry: name.startsWith('node-redis') ? 1 : 0, timeout: 60_000 };
  it('keeps deciding through a failover: onStoreError while there is no primary, then the new primary, no restart', attempts, async () => {
    const sentinels = failoverGroup as SentinelGroup;
    const client = await makeClient(sentinels);
    const capacity = 1_000_000;
    const limiter = new RateLimiter({
      capacity,
      refillRate: 1,
      interval: '1d',
      prefix: uniquePrefix('failover'),
      store: new RedisStore({ client }),
      timeoutMs: 300,
      onStoreError: 'deny',
    });
    await limiter.peek('warm-up');
    const samples: { at: number; took: number; key: string; decision: Decision }[] = [];
    let key = 'before'; // the key before the kill: its admissions are the ones a failover may lose
    let running = true;
    const worker = async () => {
      while (running) {
        const started = performance.now();
        const at = key;
        const decision = await limiter.consume(at);
        samples.push({ at: started, took: performance.now() - started, key: at, decision });
        if (decision.degraded) await sleep(5);
      }
    };
    const workers = Array.from({ length: CALLERS }, worker);
    await sleep(1000);
    const killedAt = performance.now();
    await sentinels.primary.stop(true); // SIGKILL: writes not yet replicated are gone with it
    key = 'after';
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const last = samples.slice(-40);
      if (last.length === 40 && last.every((s) => s.at > killedAt && !s.decision.degraded)) break;
      await sleep(50);
    }
    running = false;
    await Promise.all(workers);

    const admittedBefore = samples.filter((s) => s.key === 'before' && s.decision.allowed && !s.decision.degraded).length;
    expect(admittedBefore).toBeGreaterThan(100);
    // The new primary is the old replica, and the client found it by itself.
    const promoted = new Redis({ host: '127.0.0.1', port: sentinels.replica.port });
    try {
      expect(((await promoted.call('ROLE')) as unknown[])[0]).toBe('master');
      expect(await promoted.exists(RedisStore.keyOf(limiter, 'after'))).toBe(1);
    } finally {
      promoted.disconnect();
    }
    // Every call was answered in time: by Redis, or by onStoreError (deny) while there was no primary.
    const afterKill = samples.filter((s) => s.at > killedAt);
    const degraded = afterKill.filter((s) => s.decision.degraded);
    expect(degraded.length).toBeGreaterThan(0);
    expect(degraded.every((s) => !s.decision.allowed)).toBe(true);
    expect(Math.max(...samples.map((s) => s.took))).toBeLessThan(300 + 400);
    expect(samples.slice(-40).every((s) => s.decision.allowed && !s.decision.degraded)).toBe(true);
    expect(unhandled).toEqual([]);
    // What the failover gave back: admissions the old primary answered that the new one does not remember.
    const remembered = capacity - (await limiter.peek('before')).remaining;
    const givenBack = admittedBefore - remembered;
    // A call that onStoreError answered (past timeoutMs, or at the kill) may still reach a primary and take its tokens:
    // the client holds the calls on their way at the kill and sends them to the new primary, and a call that timed out
    // on a loaded machine is still run. On the strict side, at most one per such call; node-redis' Sentinel client
    // also sends those made while it still reports itself ready, a few per caller.
    const answeredByPolicy = samples.filter((s) => s.key === 'before' && s.decision.degraded).length;
    expect(givenBack).toBeGreaterThanOrEqual(-answeredByPolicy - (name === 'ioredis' ? 0 : 3 * CALLERS));
    // Replication is asynchronous: the writes on their way to the replica at the kill are lost (on loopback, at most a
    // few batches). A replica that was not in sync would lose every admission since its last sync.
    expect(givenBack).toBeLessThanOrEqual(1000);
    if (process.env.SLUICE_FAILOVER_REPORT === '1') {
      const outage = degraded.length === 0 ? 0 : Math.max(...degraded.map((s) => s.at)) - killedAt;
      console.log(
        `failover (${name}): ${admittedBefore} admitted before the kill, ${givenBack} given back; answered by onStoreError for ${Math.round(outage)} ms`,
      );
    }
  });
});
