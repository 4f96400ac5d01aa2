import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import { clusterSlot } from '../src/stores/redis/clusterSlot.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';
import { expectClusterSlotsExact, expectRedisTimeDecides } from './redisClientCases.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import {
  DECISION_TIMEOUT_MS,
  ioredis6Client,
  ioredis6ClusterClient,
  redisClient,
  redisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from './setup/redisTarget.js';
import { storeContract } from './storeContract.js';

const single = redisOptions();
const cluster = redisClusterNodes();

storeContract('RedisStore', single && { makeStore: () => new RedisStore({ client: redisClient(), time: 'client' }) });
storeContract(
  'RedisStore without coalescing or deny cache',
  single && {
    makeStore: () => new RedisStore({ client: redisClient(), time: 'client', maxBatchSize: 1, denyCache: false }),
  },
);
storeContract(
  'RedisStore on a client with enableAutoPipelining',
  single && {
    makeStore: () => new RedisStore({ client: redisClient(single, { enableAutoPipelining: true }), time: 'client' }),
  },
);
storeContract(
  'RedisStore on Redis Cluster',
  cluster && { makeStore: () => new RedisStore({ client: redisClusterClient(), time: 'client' }) },
);

storeContract('RedisStore on ioredis 6', single && { makeStore: () => new RedisStore({ client: ioredis6Client(), time: 'client' }) });
storeContract(
  'RedisStore on Redis Cluster through ioredis 6',
  cluster && { makeStore: () => new RedisStore({ client: ioredis6ClusterClient(), time: 'client' }) },
);

/** Commands Redis ran, by name, from INFO commandstats. */
async function commandCounts(client: ReturnType<typeof redisClient>): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const counts: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) counts[match[1] as string] = Number(match[2]);
  return counts;
}

/** Script calls (EVALSHA and EVAL) among `counts`. */
function scriptCalls(counts: Record<string, number>): number {
  return (counts.evalsha ?? 0) + (counts.eval ?? 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(single === undefined)('RedisStore on one server', () => {
  it('decides by Redis time: limiters whose clocks are an hour apart agree', async () => {
    await expectRedisTimeDecides(redisClient());
  });

  it("decides a batch of cost-1 calls of one limiter (the script's short path) as the general path does", async () => {
    const client = redisClient();
    // 7 per second: TATs are fractional ms (scale 7), so the short path's number formatting is exercised too.
    const options = { capacity: 3, refillRate: 7, interval: '1s' as const };
    const short = new RateLimiter({
      ...options,
      prefix: uniquePrefix('short'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const general = new RateLimiter({
      ...options,
      prefix: uniquePrefix('general'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const keys = ['a', 'b', 'a', 'a', 'a', 'b', 'a'];
    const shortDecisions = await Promise.all(keys.map((key) => short.consume(key)));
    // A peek (cost 0) in the same tick sends the whole batch down the general path.
    const generalDecisions = await Promise.all([...keys.map((key) => general.consume(key)), general.peek('other')]);
    const view = (d: { allowed: boolean; remaining: number }) => [d.allowed, d.remaining];
    expect(shortDecisions.map(view)).toEqual(generalDecisions.slice(0, keys.length).map(view));
    expect(shortDecisions.map(view)).toEqual([
      [true, 2],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [true, 1],
      [false, 0],
    ]);
    for (const [i, decision] of shortDecisions.entries()) {
      expect(Math.abs(decision.retryAfterMs - (generalDecisions[i]?.retryAfterMs ?? 0))).toBeLessThanOrEqual(50);
      expect(Math.abs(decision.resetMs - (generalDecisions[i]?.resetMs ?? 0))).toBeLessThanOrEqual(50);
    }
    expect(shortDecisions[4]?.retryAfterMs).toBeGreaterThan(0);
    expect(shortDecisions[4]?.retryAfterMs).toBeLessThanOrEqual(143);
  });

  it('decides one tick of calls from several limiters, costs and waits in one batch, at Redis time', async () => {
    const store = new RedisStore({ client: redisClient() });
    const prefix = uniquePrefix('mixed');
    const small = new RateLimiter({ capacity: 2, refillRate: 100, interval: '1s', prefix: `${prefix}s:`, store });
    const multi = new RateLimiter({
      limits: [
        { capacity: 3, refillRate: 1, interval: '1h' },
        { capacity: 4, refillRate: 1, interval: '1d' },
      ],
      prefix: `${prefix}m:`,
      store,
    });
    const started = performance.now();
    const [a, b, c, d, e, f] = await Promise.all([
      small.consume('k', 2),
      multi.consume('k', 3),
      small.wait('k', 1, { maxWaitMs: 100 }), // reserves the token due in 10 ms
      multi.consume('k'),
      small.consume('k'),
      multi.peek('k'),
    ]);
    expect([a, b, c, d, e, f].map((x) => x.allowed)).toEqual([true, true, true, false, false, true]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(8);
    expect(d.bands?.map((band) => band.remaining)).toEqual([0, 1]);
    expect(e.retryAfterMs).toBeGreaterThan(10);
    expect(f.remaining).toBe(0);
  });

  it('stores odd keys safely and keeps them apart', async () => {
    const client = redisClient();
    const prefix = uniquePrefix('odd');
    const limiter = new RateLimiter({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      prefix,
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const keys = [
      '}',
      '{',
      '{}',
      '}{',
      'a}b',
      '%7D',
      '%7B',
      '%',
      'with space',
      'new\nline',
      '\r\n',
      'ünïcødé ✓',
      'x'.repeat(10_240),
      'a:1',
      'a',
    ];
    for (const key of keys) expect((await limiter.consume(key)).allowed, JSON.stringify(key.slice(0, 20))).toBe(true);
    for (const key of keys) expect((await limiter.consume(key)).allowed).toBe(false);
    const stored = await client.keys(`${prefix}*`);
    expect(stored.length).toBe(keys.length);
    expect(await client.exists(RedisStore.keyOf(limiter, 'x'.repeat(10_240)))).toBe(1);
  });

  it('stores a 100 kB key under a short name (its digest) and decides it exactly as a short key', async () => {
    const client = redisClient();
    for (const limits of [
      [{ capacity: 3, refillRate: 1, interval: '1h' as const }],
      [
        { capacity: 3, refillRate: 1, interval: '1h' as const },
        { capacity: 5, refillRate: 1, interval: '1d' as const },
      ],
    ]) {
      const prefix = uniquePrefix('long');
      const limiter = new RateLimiter({ limits, prefix, store: new RedisStore({ client }), timeoutMs: DECISION_TIMEOUT_MS });
      const long = `${'k'.repeat(100_000)}{tag}`;
      const other = `${'k'.repeat(100_000)}{tah}`;
      const view = (d: { allowed: boolean; remaining: number; retryAfterMs: number }) => [d.allowed, d.remaining, d.retryAfterMs > 0];
      const longDecisions = [];
      const shortDecisions = [];
      for (let i = 0; i < 5; i++) {
        longDecisions.push(view(await limiter.consume(long)));
        shortDecisions.push(view(await limiter.consume('short')));
      }
      expect(longDecisions).toEqual(shortDecisions);
      // A key that differs only at its end is a bucket of its own.
      expect((await limiter.consume(other)).remaining).toBe(2);
      const stored = await client.keys(`${prefix}*`);
      expect(stored.length).toBe(3 * limits.length);
      for (const name of stored) expect(name.length).toBeLessThan(prefix.length + 100);
      const base = RedisStore.keyOf(limiter, long);
      expect(base.length).toBeLessThan(prefix.length + 100);
      expect(await client.exists(base)).toBe(1);
      if (limits.length === 2) expect(clusterSlot(RedisStore.keyOf(limiter, long, 1))).toBe(clusterSlot(base));
      await limiter.reset(long);
      expect(await client.exists(base)).toBe(0);
      expect((await limiter.peek(long)).remaining).toBe(3);
    }
  });

  it('keeps one small value per key and band, expiring when the band is full again', async () => {
    const client = redisClient();
    const prefix = uniquePrefix('ttl');
    const limiter = new RateLimiter({
      limits: [
        { capacity: 10, refillRate: 10, interval: '1s' },
        { capacity: 100, refillRate: 100, interval: '1h' },
      ],
      prefix,
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('k', 2);
    const [first, second] = [RedisStore.keyOf(limiter, 'k', 0), RedisStore.keyOf(limiter, 'k', 1)];
    expect(await client.type(first)).toBe('string');
    expect(Number(await client.get(first))).toBeGreaterThan(Date.now() - 10_000);
    const [ttl0, ttl1] = [await client.pttl(first), await client.pttl(second)];
    expect(ttl0).toBeGreaterThan(150);
    expect(ttl0).toBeLessThanOrEqual(200);
    expect(ttl1).toBeGreaterThan(72_000 - 1000);
    expect(ttl1).toBeLessThanOrEqual(72_000);
    await limiter.reset('k');
    expect(await client.exists(first, second)).toBe(0);
  });

  it('rejects bad options with the option name', () => {
    const client = redisClient();
    expect(() => new RedisStore({ client, time: 'local' as never })).toThrow(SluiceConfigError);
    expect(() => new RedisStore({ client, time: 'local' as never })).toThrow(/`time`/);
    expect(() => new RedisStore({ client, maxBatchSize: 0 })).toThrow(/maxBatchSize/);
    expect(() => new RedisStore({ client, maxBatchesInFlight: 1.5 })).toThrow(/`maxBatchesInFlight`.*1\.5/);
    expect(() => new RedisStore({ client, denyCache: { maxKeys: -1 } })).toThrow(/denyCache\.maxKeys/);
    expect(() => new RedisStore({ client: {} as never })).toThrow(/`client`/);
    expect(() => new RedisStore({ client, clients: 1 } as never)).toThrow(/clients/);
  });
});

describe.skipIf(single === undefined)('RedisStore round trips (own redis-server, exact command counts)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  const clients: ReturnType<typeof redisClient>[] = [];
  const ownClient = () => {
    const made = redisClient({ host: '127.0.0.1', port: server.port });
    clients.push(made);
    return made;
  };
  afterAll(async () => {
    for (const made of clients) made.disconnect(); // before the server goes, or they would try to reconnect
    await server?.stop();
  });

  it('decides the calls of one tick with one script call per maxBatchSize calls', async () => {
    const client = ownClient();
    const limiter = new RateLimiter({
      capacity: 30,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('batch'),
      store: new RedisStore({ client, maxBatchSize: 64 }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.peek('warm-up'); // loads the script (the first EVALSHA gets NOSCRIPT on a fresh server)
    await client.config('RESETSTAT');
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, i) => limiter.consume(i % 2 === 0 ? 'hot' : `k${i}`)));
    expect(decisions.filter((d) => d.allowed).length).toBe(25 + 25);
    expect(scriptCalls(await commandCounts(client))).toBe(1);
    // With the default maxBatchSize (16), the same 50 calls take 4 script calls.
    const defaults = new RateLimiter({
      capacity: 30,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('batch16'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await client.config('RESETSTAT');
    await Promise.all(Array.from({ length: 50 }, (_, i) => defaults.consume(`k${i}`)));
    expect(scriptCalls(await commandCounts(client))).toBe(4);
    // Exactly 2 × 16 calls: 2 script calls, and no third one without calls.
    await client.config('RESETSTAT');
    await Promise.all(Array.from({ length: 32 }, (_, i) => defaults.consume(`j${i}`)));
    expect(scriptCalls(await commandCounts(client))).toBe(2);
  });

  it('sends the calls that arrive while a batch is at Redis together, once it is back (maxBatchesInFlight)', async () => {
    const admin = ownClient();
    const scriptCallsFor = async (maxBatchesInFlight: number | undefined) => {
      const limiter = new RateLimiter({
        capacity: 30,
        refillRate: 1,
        interval: '1h',
        prefix: uniquePrefix('inflight'),
        timeoutMs: DECISION_TIMEOUT_MS,
        store: new RedisStore({ client: ownClient(), ...(maxBatchesInFlight === undefined ? {} : { maxBatchesInFlight }) }),
      });
      await limiter.peek('warm-up');
      await admin.config('RESETSTAT');
      // Script calls (they may write) wait while Redis is paused: the first call's batch stays in flight.
      await admin.client('PAUSE', '150', 'WRITE');
      const calls = [limiter.consume('k0')];
      // Five more calls, each in an event-loop turn of its own (as requests arriving one by one would).
      for (let i = 1; i <= 5; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        calls.push(limiter.consume(`k${i}`));
      }
      const decisions = await Promise.all(calls);
      expect(decisions.every((d) => d.allowed && !d.degraded)).toBe(true);
      return scriptCalls(await commandCounts(admin));
    };
    expect(await scriptCallsFor(undefined)).toBe(2);
    expect(await scriptCallsFor(8)).toBe(6);
  });

  it('answers a repeated denial from the deny cache with no round trip, and makes one with the cache off', async () => {
    const client = ownClient();
    const prefix = uniquePrefix('deny');
    const cached = new RateLimiter({
      capacity: 2,
      refillRate: 1,
      interval: '1h',
      prefix,
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const uncached = new RateLimiter({
      capacity: 2,
      refillRate: 1,
      interval: '1h',
      prefix,
      store: new RedisStore({ client, denyCache: false }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await cached.consume('flood', 2);
    expect((await cached.consume('flood')).allowed).toBe(false);
    await client.config('RESETSTAT');
    for (let i = 0; i < 100; i++) {
      const d = await cached.consume('flood');
      expect(d.allowed).toBe(false);
      expect(d.retryAfterMs).toBeGreaterThan(1_700_000);
    }
    expect(scriptCalls(await commandCounts(client))).toBe(0);
    expect((await uncached.consume('flood')).allowed).toBe(false);
    const afterUncached = await commandCounts(client);
    expect(afterUncached.evalsha).toBe(1);
    // A reset from this process forgets the cached denial.
    await cached.reset('flood');
    expect((await cached.consume('flood')).allowed).toBe(true);
  });

  it('keeps a cached denial across a peek (cost 0), and forgets it for a call that may give tokens back', async () => {
    const client = ownClient();
    const limiter = new RateLimiter({
      capacity: 2,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('denyPeek'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('k', 2);
    expect((await limiter.consume('k')).allowed).toBe(false);
    await client.config('RESETSTAT');
    // A peek takes nothing: it asks Redis, and the denial stays cached.
    expect((await limiter.peek('k')).remaining).toBe(0);
    for (let i = 0; i < 10; i++) expect((await limiter.consume('k')).allowed).toBe(false);
    expect(scriptCalls(await commandCounts(client))).toBe(1);
    // A refund sent in the same tick as a consume: the consume goes to Redis behind it (not to the stale denial).
    const [refunded, consumed] = await Promise.all([limiter.refund('k', 1), limiter.consume('k')]);
    expect(refunded.remaining).toBe(1);
    expect(consumed).toMatchObject({ allowed: true, remaining: 0 });
    expect(scriptCalls(await commandCounts(client))).toBe(2);
  });

  it('in one batch, a denial is cached, a peek after it keeps it, and a call after it that takes tokens drops it', async () => {
    const client = ownClient();
    const limiter = new RateLimiter({
      capacity: 10,
      refillRate: 10,
      interval: '1h',
      prefix: uniquePrefix('denyBatch'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const minute = 60_000;
    // 2 tokens left, one every 6 minutes: 5 fit in 18 minutes.
    await Promise.all([limiter.consume('kept', 8), limiter.consume('dropped', 8)]);
    const [denied, peeked] = await Promise.all([limiter.consume('kept', 5), limiter.peek('kept')]);
    expect(denied.allowed).toBe(false);
    expect(peeked.remaining).toBe(2);
    await client.config('RESETSTAT');
    expect((await limiter.consume('kept', 5)).allowed).toBe(false);
    expect(scriptCalls(await commandCounts(client))).toBe(0);
    // The call of 1 fits (a denial of 5 does not answer it) and takes a token after the denial was decided.
    const [refused, taken] = await Promise.all([limiter.consume('dropped', 5), limiter.consume('dropped', 1)]);
    expect(refused.allowed).toBe(false);
    expect(taken.allowed).toBe(true);
    // 1 token left: 5 fit in 24 minutes, which only Redis can tell now.
    const after = await limiter.consume('dropped', 5);
    expect(after.allowed).toBe(false);
    expect(after.retryAfterMs).toBeGreaterThan(23 * minute);
  });

  it('answers a cost that differs by band from Redis, never from a cached denial of a plain cost', async () => {
    const client = ownClient();
    const limiter = new RateLimiter({
      limits: [
        { name: 'requests', capacity: 10, refillRate: 10, interval: '1h' },
        { name: 'bytes', capacity: 100, refillRate: 100, interval: '1h' },
      ],
      prefix: uniquePrefix('denyPerBand'),
      store: new RedisStore({ client }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('k', 8);
    expect((await limiter.consume('k', 5)).allowed).toBe(false);
    expect(await limiter.consume('k', { requests: 1, bytes: 2 })).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('never answers a refusal under blockDuration from the cache: each one moves the block in Redis', async () => {
    const client = ownClient();
    let now = Date.now();
    const limiter = new RateLimiter({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      blockDuration: '2h',
      prefix: uniquePrefix('denyBlock'),
      store: new RedisStore({ client, time: 'client' }),
      clock: () => now,
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('k');
    expect((await limiter.consume('k')).retryAfterMs).toBeGreaterThan(7_100_000);
    now += 600_000;
    expect((await limiter.consume('k')).retryAfterMs).toBeGreaterThan(7_100_000);
  });

  it('follows the store clock for cached denials: by Redis time, or by the caller clock with time client', async () => {
    const client = ownClient();
    const options = { capacity: 1, refillRate: 1, interval: '1h' as const, timeoutMs: DECISION_TIMEOUT_MS };
    // By Redis time, with a caller clock 2 h ahead: the denial holds for the hour Redis counts, not for none.
    const ahead = new RateLimiter({
      ...options,
      prefix: uniquePrefix('denyAhead'),
      store: new RedisStore({ client }),
      clock: () => Date.now() + 7_200_000,
    });
    // By the caller's clock: a cached denial is dated by its own call's time, not by another call's in its batch.
    const callerStore = new RedisStore({ client, time: 'client' });
    const byCaller = new RateLimiter({ ...options, prefix: uniquePrefix('denyClient'), store: callerStore });
    const behind = new RateLimiter({
      ...options,
      prefix: uniquePrefix('denyBehind'),
      store: callerStore,
      clock: () => Date.now() - 7_200_000,
    });
    for (const [limiter, neighbour] of [
      [ahead, ahead],
      [byCaller, behind],
    ] as const) {
      await limiter.consume('k');
      const [denial] = await Promise.all([limiter.consume('k'), neighbour.peek('other')]);
      expect(denial.allowed).toBe(false);
      await client.config('RESETSTAT');
      for (let i = 0; i < 10; i++) {
        const denied = await limiter.consume('k');
        expect(denied.allowed).toBe(false);
        expect(denied.retryAfterMs).toBeGreaterThan(3_500_000);
      }
      expect(scriptCalls(await commandCounts(client))).toBe(0);
    }
  });

  it('forgets cached denials on close(): the next call asks Redis', async () => {
    const client = ownClient();
    const store = new RedisStore({ client });
    const limiter = new RateLimiter({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('denyClose'),
      store,
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    await limiter.consume('k');
    expect((await limiter.consume('k')).allowed).toBe(false);
    await client.config('RESETSTAT');
    expect((await limiter.consume('k')).allowed).toBe(false);
    expect(scriptCalls(await commandCounts(client))).toBe(0);
    store.close();
    expect((await limiter.consume('k')).allowed).toBe(false);
    expect(scriptCalls(await commandCounts(client))).toBe(1);
  });

  it('sends a full batch at once while maxBatchesInFlight batches are at Redis: it is decided before later calls', async () => {
    const admin = ownClient();
    const options = { capacity: 4, refillRate: 1, interval: '1h' as const, prefix: uniquePrefix('full'), timeoutMs: DECISION_TIMEOUT_MS };
    // maxBatchesInFlight 1 (the default): the second tick's calls may go only as a full batch.
    const here = new RateLimiter({ ...options, store: new RedisStore({ client: ownClient(), maxBatchSize: 4 }) });
    const elsewhere = new RateLimiter({ ...options, store: new RedisStore({ client: ownClient() }) });
    await here.peek('warm-up');
    await elsewhere.peek('warm-up');
    // Script calls wait while Redis is paused; each connection's waiting commands then run in the order they came.
    await admin.client('PAUSE', '300', 'WRITE');
    const first = here.consume('other');
    await new Promise((resolve) => setImmediate(resolve));
    const full = Array.from({ length: 4 }, () => here.consume('k'));
    await sleep(50);
    // Another process's call, made after the full batch went out: it finds the bucket empty.
    const later = elsewhere.consume('k');
    expect((await first).allowed).toBe(true);
    expect((await Promise.all(full)).map((d) => d.allowed)).toEqual([true, true, true, true]);
    expect(await later).toMatchObject({ allowed: false, degraded: false });
  });

  it('fails the calls of a script call Redis refuses with its error, never retrying it by EVAL unless NOSCRIPT', async () => {
    const admin = ownClient();
    await admin.acl('SETUSER', 'noevalsha', 'on', '>secret', '~*', '&*', '+@all', '-evalsha');
    const client = redisClient({ host: '127.0.0.1', port: server.port }, { username: 'noevalsha', password: 'secret' });
    clients.push(client);
    const store = new RedisStore({ client });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', prefix: uniquePrefix('noperm'), store });
    const outcome = (call: Promise<unknown>) =>
      Promise.race([
        call.then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        ),
        sleep(2000).then(() => 'unanswered'),
      ]);
    const [one, two] = await Promise.all([
      outcome(store.update(limiter.policy, 'k', 1, 0, Date.now())),
      outcome(store.update(limiter.policy, 'j', 1, 0, Date.now())),
    ]);
    for (const answer of [one, two]) {
      // Redis' own refusal (its wording varies by version), not EVAL's answer nor a timeout.
      expect(String((answer as { error?: unknown }).error)).toMatch(/^ReplyError: NOPERM .*no permissions to run the 'evalsha' command$/);
    }
    // The failed batch is answered: the next one goes out (and fails the same way), it does not wait for it.
    const next = await outcome(store.update(limiter.policy, 'k', 1, 0, Date.now()));
    expect(String((next as { error?: unknown }).error)).toMatch(/^ReplyError: NOPERM/);
    expect(await admin.exists(RedisStore.keyOf(limiter, 'k'))).toBe(0);
  });
});

describe.skipIf(cluster === undefined)('cluster slots', () => {
  it('clusterSlot agrees with CLUSTER KEYSLOT, hash tags included', async () => {
    const node = redisClient(cluster?.[0]);
    const oneBand = new RateLimiter({ capacity: 1, refillRate: 1, prefix: 'p:{|}' });
    const twoBands = new RateLimiter({
      limits: [
        { capacity: 1, refillRate: 1 },
        { capacity: 2, refillRate: 1 },
      ],
      prefix: 'p:{|}',
    });
    const keys = [
      '',
      'a',
      'user:42',
      '{user}:1',
      'x{}y',
      '{}{a}',
      'a{b}c{d}',
      'ünïcødé',
      '123456789',
      RedisStore.keyOf(oneBand.policy, 'k}{'),
      RedisStore.keyOf(twoBands.policy, 'k}{'),
      RedisStore.keyOf(twoBands.policy, 'k}{', 1),
      'y'.repeat(10_000),
    ];
    for (const key of keys) expect(clusterSlot(key), JSON.stringify(key.slice(0, 20))).toBe(await node.cluster('KEYSLOT', key));
  });
});

describe.skipIf(cluster === undefined)('RedisStore on Redis Cluster', () => {
  it('decides calls of one tick on keys in many slots (one script call per slot), exactly', async () => {
    await expectClusterSlotsExact(redisClusterClient());
  });

  it('flushes once per event-loop turn: calls made after the flush in that turn go with the next turn', async () => {
    const client = redisClusterClient();
    const prefix = uniquePrefix('turn');
    const limiter = new RateLimiter({
      capacity: 30,
      refillRate: 1,
      interval: '1h',
      prefix,
      store: new RedisStore({ client, maxBatchesInFlight: 8 }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const owners = new Map<number, number>();
    for (const [from, to, master] of await client.cluster('SLOTS')) {
      for (let slot = from; slot <= to; slot++) owners.set(slot, master?.[1] ?? 0);
    }
    const ownerOf = (key: string) => owners.get(clusterSlot(RedisStore.keyOf(limiter, key)));
    const here = 'a';
    let there = 'b';
    while (ownerOf(there) === ownerOf(here)) there += 'b';
    await Promise.all([limiter.peek(here), limiter.peek(there)]); // both masters have loaded the script
    // Every script call of this test that the master of `here` runs, in order.
    const monitor = await redisClient(cluster?.find((node) => node.port === ownerOf(here))).monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((arg) => arg.startsWith(prefix))) seen.push(args);
    });
    try {
      const calls = [limiter.consume(here)]; // schedules the flush of this turn
      const nextTurnCalls = new Promise<unknown[]>((resolve) => {
        // Runs in this turn, after the flush: its calls wait for the next turn's flush, with that turn's calls.
        setImmediate(() => {
          setImmediate(() => resolve([limiter.consume(here)]));
          calls.push(limiter.consume(here), limiter.consume(here));
        });
      });
      calls.push(limiter.consume(there)); // another server's lane, due in the same flush
      const later = await nextTurnCalls;
      expect((await Promise.all([...calls, ...(later as Promise<{ allowed: boolean }>[])])).every((d) => d.allowed)).toBe(true);
      // A command after them on the same master: once the monitor shows it, it has shown every earlier one.
      const marker = RedisStore.keyOf(limiter, here);
      await client.exists(marker);
      await expect.poll(() => seen.some((args) => args[0]?.toLowerCase() === 'exists')).toBe(true);
      // One EVALSHA per batch (an EVAL follows it when that master had not loaded the script yet).
      const scriptCalls = seen.filter((args) => args[0]?.toLowerCase() === 'evalsha');
      // The first call alone, then the three later ones together.
      expect(scriptCalls.length).toBe(2);
    } finally {
      monitor.disconnect();
    }
  });

  it('keeps all bands of a long key (stored under its digest) in one slot', async () => {
    const limiter = new RateLimiter({
      limits: [
        { capacity: 2, refillRate: 1, interval: '1h' },
        { capacity: 4, refillRate: 1, interval: '1d' },
      ],
      prefix: uniquePrefix('longCluster'),
      store: new RedisStore({ client: redisClusterClient() }),
      timeoutMs: DECISION_TIMEOUT_MS,
    });
    const long = 'z'.repeat(100_000);
    expect((await limiter.consume(long, 2)).bands?.map((b) => b.remaining)).toEqual([0, 2]);
    expect((await limiter.consume(long)).allowed).toBe(false);
    expect(clusterSlot(RedisStore.keyOf(limiter, long, 1))).toBe(clusterSlot(RedisStore.keyOf(limiter, long)));
  });
});

describe('DenyCache', () => {
  const band = { capacity: 1, refillRate: 1, intervalMs: 1000, name: undefined, scale: 1, emission: 1000, tolerance: 1000 };
  it('is bounded: past maxKeys the oldest entry goes', () => {
    const cache = new DenyCache(2, 1 << 20);
    for (const key of ['a', 'b', 'c']) cache.remember(key, [band], 1, { allowed: false, now: 0, aheads: [1000] });
    expect(cache.size).toBe(2);
    expect(cache.lookup('a', 1, 10)).toBeUndefined();
    expect(cache.lookup('c', 1, 10)).toMatchObject({ allowed: false, now: 10 });
  });
  it('answers the same or a larger cost until the tokens are due, then forgets', () => {
    const cache = new DenyCache(10, 1 << 20);
    cache.remember('k', [band], 1, { allowed: false, now: 0, aheads: [1000] }); // a token is due at 1000
    expect(cache.lookup('k', 1, 999)).toBeDefined();
    expect(cache.lookup('k', 0.5, 10)).toBeUndefined(); // a smaller cost may fit earlier: ask the store
    expect(cache.lookup('k', 1, 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
