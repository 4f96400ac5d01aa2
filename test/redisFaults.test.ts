/**
 * Faults, each on a redis-server of its own (started and stopped by PID here, never the shared one):
 * Redis killed under load and restarted, its scripts flushed, and Redis too slow to answer.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Decision, type DegradedEvent, RateLimiter, RedisStore, StoreTimeoutError } from '../src/index.js';
import { DECIDE_BATCH_SHA } from '../src/stores/redis/lua/decideBatch.js';
import { type RedisServer, startRedisServer } from './setup/redisServers.js';
import { redisOptions, uniquePrefix } from './setup/redisTarget.js';

const available = redisOptions() !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe.skipIf(!available)('RedisStore faults', () => {
  let server: RedisServer;
  let client: Redis;

  beforeEach(async () => {
    server = await startRedisServer();
    client = new Redis({ host: '127.0.0.1', port: server.port });
    client.on('error', () => undefined); // connection errors are expected here; ioredis would log each one
    unhandled.length = 0;
  });
  afterEach(async () => {
    client.disconnect();
    await server.stop(true);
    expect(unhandled).toEqual([]);
  });

  it('Redis killed under load: every call answered by the policy in time, no crash; restarted: recovers by itself', async () => {
    const events: DegradedEvent[] = [];
    const limiter = new RateLimiter({
      capacity: 1e6,
      refillRate: 1000,
      interval: '1s',
      prefix: uniquePrefix('kill'),
      store: new RedisStore({ client }),
      timeoutMs: 300,
      onStoreError: 'deny',
      onDegraded: (event) => events.push(event),
    });
    const samples: { at: number; took: number; decision: Decision }[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        const started = performance.now();
        const decision = await limiter.consume(`user:${Math.floor(Math.random() * 100)}`);
        samples.push({ at: started, took: performance.now() - started, decision });
        if (decision.degraded) await sleep(5); // keep the loop from spinning on instant answers
      }
    };
    await limiter.peek('warm-up'); // connected, script loaded
    const workers = Array.from({ length: 20 }, worker);
    await sleep(500);
    const killingAt = performance.now();
    await server.stop(true); // SIGKILL, and wait until the process is gone
    const killedAt = performance.now();
    await sleep(1500); // long enough for several timeoutMs-long answers per worker, even if every call waits it out
    const restartedAt = performance.now();
    server = await startRedisServer({ port: server.port });
    // ioredis reconnects with its own backoff (at most 2 s between attempts by default).
    const deadline = performance.now() + 8000;
    while (performance.now() < deadline) {
      const last = samples.slice(-20);
      if (last.length === 20 && last.every((s) => s.at > restartedAt && !s.decision.degraded)) break;
      await sleep(50);
    }
    running = false;
    await Promise.all(workers);

    const before = samples.filter((s) => s.at < killingAt - 50);
    // A call made less than timeoutMs before the restart may rightly be answered by the restarted Redis
    // (its command waits for the reconnect); the outage proper ends timeoutMs before the restart.
    const outage = samples.filter((s) => s.at > killedAt && s.at < restartedAt - 300);
    expect(before.length).toBeGreaterThan(40);
    // Redis up: Redis answered (bar the odd timeout on this 2-core machine when it is very busy).
    const answered = before.filter((s) => !s.decision.degraded);
    expect(answered.every((s) => s.decision.allowed)).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(before.length * 0.9);
    expect(outage.length).toBeGreaterThan(20);
    // The policy answered: fail closed, marked, reported.
    const notByPolicy = outage
      .filter((s) => !(s.decision.degraded && !s.decision.allowed))
      .map((s) => ({ startedAfterKillMs: Math.round(s.at - killedAt), tookMs: Math.round(s.took), ...s.decision }));
    expect(notByPolicy).toEqual([]);
    expect(events.length).toBeGreaterThanOrEqual(outage.length);
    expect(events.every((e) => e.policy === 'deny')).toBe(true);
    // Within the timeout (plus scheduling slack on a noisy machine), never hanging in ioredis' queues.
    expect(Math.max(...outage.map((s) => s.took))).toBeLessThan(300 + 400);
    // Recovered without a restart of the client or the store.
    const recovered = samples.slice(-20);
    expect(recovered.every((s) => s.at > restartedAt && s.decision.allowed && !s.decision.degraded)).toBe(true);
  }, 30_000);

  it('keeps working after SCRIPT FLUSH (EVALSHA falls back to EVAL on NOSCRIPT)', async () => {
    const limiter = new RateLimiter({
      capacity: 3,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('flush'),
      store: new RedisStore({ client }),
      onStoreError: 'throw',
    });
    expect((await limiter.consume('k')).remaining).toBe(2);
    await client.script('FLUSH');
    expect(await client.script('EXISTS', DECIDE_BATCH_SHA)).toEqual([0]);
    const after = await limiter.consume('k');
    expect(after).toMatchObject({ allowed: true, remaining: 1, degraded: false });
    await client.script('FLUSH');
    const batch = await Promise.all([limiter.consume('k'), limiter.consume('k')]);
    expect(batch.map((d) => d.allowed)).toEqual([true, false]);
  });

  it('answers by the policy within timeoutMs when Redis is too slow (DEBUG SLEEP), then recovers', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    const prefix = uniquePrefix('slow');
    const store = new RedisStore({ client });
    const allow = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1h', prefix, store, timeoutMs: 100, onStoreError: 'allow' });
    const strict = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1h', prefix, store, timeoutMs: 100, onStoreError: 'throw' });
    const fallback = new RateLimiter({
      capacity: 5,
      refillRate: 1,
      interval: '1h',
      prefix,
      store,
      timeoutMs: 100,
      onStoreError: new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' }),
    });
    await allow.consume('k');
    const sleeping = admin.call('DEBUG', 'SLEEP', '1.5');
    await sleep(50);
    const started = performance.now();
    const [allowed, thrown, first, second] = await Promise.all([
      allow.consume('k'),
      strict.consume('k').then(
        () => undefined,
        (error: unknown) => error,
      ),
      fallback.consume('k'),
      fallback.consume('k'),
    ]);
    const took = performance.now() - started;
    expect(allowed).toMatchObject({ allowed: true, degraded: true });
    expect(thrown).toBeInstanceOf(StoreTimeoutError);
    // The in-memory insurance limiter (capacity 1) answered both.
    expect([first.allowed, second.allowed]).toEqual([true, false]);
    expect(first.degraded && second.degraded).toBe(true);
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1000); // long before Redis wakes up
    await sleeping;
    const back = await allow.peek('k');
    expect(back.degraded).toBe(false);
    // The calls that timed out still reached Redis once it woke (one each): 1 + 4 taken.
    expect(back.remaining).toBe(0);
    admin.disconnect();
  });

  it('stops sending to a Redis that is connected but does not answer, and carries on once it does', async () => {
    const admin = new Redis({ host: '127.0.0.1', port: server.port });
    // maxBatchesInFlight above the limit under test: one batch per tick (by default they would wait and go 16 at a time).
    const store = new RedisStore({ client, maxBatchesInFlight: 4096 });
    const limiter = new RateLimiter({ capacity: 1e6, refillRate: 1, interval: '1h', prefix: uniquePrefix('hung'), store });
    await limiter.peek('k');
    const sleeping = admin.call('DEBUG', 'SLEEP', '2');
    await sleep(50);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 1030; i++) {
      // One call per tick: a batch each, none answered while Redis sleeps.
      pending.push(
        Promise.resolve(store.update(limiter.policy, 'k', 1, 0, Date.now())).then(
          (r) => r,
          (error: unknown) => error,
        ),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    const refused = await Promise.race([pending[1029], sleep(500).then(() => 'still waiting')]);
    expect(String(refused)).toMatch(/has not answered 1024 script calls/);
    // Exactly 1024 went out: every later call is refused at once, with the message a user sees.
    const refusals = await Promise.all(pending.slice(1024).map((call) => Promise.race([call, sleep(500).then(() => 'still waiting')])));
    expect(refusals.map(String)).toEqual(
      Array.from({ length: 6 }, () => 'SluiceStoreError: sluice: Redis has not answered 1024 script calls; not sending more until it does'),
    );
    await sleeping;
    const answered = await Promise.all(pending.slice(0, 1024));
    expect(answered.every((r) => (r as { allowed?: boolean }).allowed === true)).toBe(true);
    expect((await limiter.consume('k')).degraded).toBe(false);
    admin.disconnect();
  });

  it('fails the calls of a script call whose client throws instead of rejecting (EVALSHA, or EVAL after NOSCRIPT)', async () => {
    // A user's wrapper around the real client (a circuit breaker, say) that throws while it is open.
    let open: 'evalsha' | 'eval' | undefined;
    const wrapped = new Proxy(client, {
      get(target, property) {
        if (property === open) {
          return () => {
            throw new Error(`circuit open: ${property}`);
          };
        }
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const store = new RedisStore({ client: wrapped });
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1h', prefix: uniquePrefix('throwing'), store });
    const outcome = (call: Promise<unknown>) => Promise.race([call.then(String, String), sleep(2000).then(() => 'unanswered')]);
    const both = () =>
      Promise.all([
        outcome(store.update(limiter.policy, 'k', 1, 0, Date.now())),
        outcome(store.update(limiter.policy, 'j', 1, 0, Date.now())),
      ]);
    open = 'evalsha';
    expect(await both()).toEqual(['Error: circuit open: evalsha', 'Error: circuit open: evalsha']);
    // On this fresh server the script is not loaded: EVALSHA gets NOSCRIPT, and the EVAL that would load it throws.
    await client.script('FLUSH');
    open = 'eval';
    expect(await both()).toEqual(['Error: circuit open: eval', 'Error: circuit open: eval']);
    // Closed again: the store was not stuck on those batches.
    open = undefined;
    expect((await limiter.consume('k')).remaining).toBe(4);
  });

  it('fails fast while disconnected instead of queueing commands for later', async () => {
    const limiter = new RateLimiter({
      capacity: 5,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('down'),
      store: new RedisStore({ client }),
      timeoutMs: 1000,
    });
    await limiter.consume('k');
    await server.stop(true);
    await sleep(200);
    const started = performance.now();
    const decision = await limiter.consume('k');
    expect(decision).toMatchObject({ allowed: true, degraded: true });
    expect(performance.now() - started).toBeLessThan(500); // not the 1000 ms timeout
    await expect(limiter.reset('k')).rejects.toThrow(/reset/);
  });
});
