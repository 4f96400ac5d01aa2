/**
 * Aborted waits give back exactly what they reserved, whenever the abort comes: before the call, while
 * the reservation is on its way to the store, or while the tokens wait for their time. A refund is never
 * refused and never fills a bucket beyond full. MemoryStore under fake timers against the BigInt model;
 * RedisStore against real Redis.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Decision, MemoryStore, RateLimiter, type RateLimiterOptions, RedisStore, type Store } from '../src/index.js';
import { GcraModel, type ModelLimit } from './gcraModel.js';
import { propertyRuns } from './setup/propertyRuns.js';
import { redisClient, redisClusterClient, redisClusterNodes, redisOptions } from './setup/redisTarget.js';

const single = redisOptions();
const cluster = redisClusterNodes();

function essentials(d: Decision) {
  return { allowed: d.allowed, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs };
}

/** Settles to 'rejected: reason' or the decision, without an unhandled rejection. */
function outcome(wait: Promise<Decision>): Promise<Decision | { rejected: unknown }> {
  return wait.then(
    (decision) => decision,
    (reason: unknown) => ({ rejected: reason }),
  );
}

describe('aborted waits on MemoryStore (fake timers)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function fakeTime() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(1_764_000_000_000);
  }

  it('capacity 1, 1 token/s, empty bucket: two waits aborted give both tokens back (resetMs 1000, not 2999)', async () => {
    fakeTime();
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', clock: () => Date.now() });
    await limiter.consume('k');
    const controllers = [new AbortController(), new AbortController()];
    const waits = controllers.map((c) => outcome(limiter.wait('k', 1, { maxWaitMs: 10_000, signal: c.signal })));
    await vi.advanceTimersByTimeAsync(1);
    for (const c of controllers) c.abort('gone');
    expect(await Promise.all(waits)).toEqual([{ rejected: 'gone' }, { rejected: 'gone' }]);
    expect(essentials(await limiter.peek('k'))).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0, resetMs: 999 });
  });

  it('5,000 aborted waiters leave the key as it was, not blocked for 500 s', async () => {
    fakeTime();
    const limiter = new RateLimiter({ capacity: 10, refillRate: 10, interval: '1s', clock: () => Date.now() });
    await limiter.consume('k', 10);
    const before = essentials(await limiter.peek('k'));
    const controllers = Array.from({ length: 5000 }, () => new AbortController());
    const waits = controllers.map((c) => outcome(limiter.wait('k', 1, { maxWaitMs: 1_000_000, signal: c.signal })));
    for (const c of controllers) c.abort('gone');
    expect((await Promise.all(waits)).every((w) => 'rejected' in w)).toBe(true);
    expect(essentials(await limiter.peek('k'))).toEqual(before);
    expect(before.resetMs).toBe(1000);
  });

  it('thousands of waiters with random arrivals, costs, maxWaitMs and abort times: every outcome and the bucket equal the model', async () => {
    const waiterArb = fc.record({
      arrive: fc.integer({ min: 0, max: 20_000 }),
      cost: fc.integer({ min: 1, max: 3 }),
      maxWaitMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2000 }), fc.constant(1_000_000)),
      // When the abort comes, relative to the arrival (negative: before the call), or never.
      abortAfter: fc.option(fc.integer({ min: -50, max: 30_000 }), { nil: undefined }),
    });
    const limitArb = fc.constantFrom<ModelLimit[]>(
      [{ capacity: 3, refillRate: 1, interval: 1000 }],
      [{ capacity: 5, refillRate: 5101, interval: 999_999 }],
      [{ capacity: 4, refillRate: 7, interval: 60_000 }],
      [
        { capacity: 3, refillRate: 3, interval: 1000 },
        { capacity: 20, refillRate: 5101, interval: 99_999 },
      ],
    );
    await fc.assert(
      fc.asyncProperty(limitArb, fc.array(waiterArb, { minLength: 1, maxLength: 2000 }), async (limit, waiters) => {
        fakeTime();
        try {
          await checkWaiters(limit, waiters);
        } finally {
          vi.useRealTimers();
        }
      }),
      { numRuns: propertyRuns(8) },
    );
  });

  async function checkWaiters(
    limits: ModelLimit[],
    waiters: { arrive: number; cost: number; maxWaitMs: number; abortAfter: number | undefined }[],
  ): Promise<void> {
    const start = Date.now();
    const [first] = limits as [ModelLimit];
    const limiter = new RateLimiter({
      ...(limits.length === 1
        ? { ...first, interval: first.interval as number }
        : { limits: limits as { capacity: number; refillRate: number; interval: number }[] }),
      clock: () => Date.now(),
    });
    const model = new GcraModel(limits);
    type Event = { at: number; order: number; run: () => void };
    const events: Event[] = [];
    const expected: unknown[] = [];
    const actual: Promise<unknown>[] = [];
    /** Per waiter, from the model: when its tokens are due (undefined: not granted). */
    const grantAt: (number | undefined)[] = [];
    for (const [i, w] of waiters.entries()) {
      const controller = new AbortController();
      const abortAt = w.abortAfter === undefined ? undefined : w.arrive + w.abortAfter; // ms after start
      events.push({
        at: w.arrive,
        order: 2 * i + 1,
        run: () => {
          const now = Date.now();
          if (abortAt !== undefined && abortAt < w.arrive) {
            expected[i] = { rejected: 'gone' }; // aborted before the call: nothing reserved
          } else {
            const want = model.call(now, w.cost, w.maxWaitMs);
            grantAt[i] = want.allowed ? now + want.delayMs : undefined;
            const { delayMs, bands, ...decision } = want;
            const abortedFirst = abortAt !== undefined && want.allowed && want.delayMs > 0 && start + abortAt < now + want.delayMs;
            expected[i] = abortedFirst ? { rejected: 'gone' } : { ...decision, at: now + delayMs };
          }
          actual[i] = outcome(limiter.wait('k', w.cost, { maxWaitMs: w.maxWaitMs, signal: controller.signal })).then((o) =>
            'rejected' in o ? o : { ...essentials(o), limit: o.limit, at: Date.now() },
          );
        },
      });
      if (abortAt !== undefined) {
        events.push({
          at: Math.max(abortAt, 0),
          order: abortAt < w.arrive ? 2 * i : 2 * i + 1.5,
          run: () => {
            const due = grantAt[i];
            if (abortAt >= w.arrive && due !== undefined && Date.now() < due) model.refund(Date.now(), w.cost);
            controller.abort('gone');
          },
        });
      }
    }
    events.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const event of events) {
      // Grants due up to this ms fire first: an abort in the same ms as the grant comes too late.
      await vi.advanceTimersByTimeAsync(start + event.at - Date.now());
      event.run();
    }
    await vi.runAllTimersAsync();
    expect(await Promise.all(actual)).toEqual(expected);
    const final = model.call(Date.now(), 0);
    expect(essentials(await limiter.peek('k'))).toEqual({
      allowed: final.allowed,
      remaining: final.remaining,
      retryAfterMs: final.retryAfterMs,
      resetMs: final.resetMs,
    });
  }
});

function redisSuite(name: string, makeStore: () => Store) {
  describe(`aborted waits on ${name}`, () => {
    function limiterOn(options: Omit<RateLimiterOptions, 'store'>): RateLimiter {
      return new RateLimiter({
        ...options,
        store: makeStore(),
        prefix: `abort:${randomUUID().slice(0, 8)}:`,
        timeoutMs: 5000,
      } as RateLimiterOptions);
    }

    it('an abort while the reservation is on its way to Redis rejects at once and gives the token back', async () => {
      // A token per second at Redis' own clock: the bucket is empty, the wait would be granted in about 1 s.
      const limiter = limiterOn({ capacity: 1, refillRate: 1, interval: '1s' });
      await limiter.consume('k');
      const controller = new AbortController();
      const wait = outcome(limiter.wait('k', 1, { maxWaitMs: 5000, signal: controller.signal }));
      controller.abort('gone'); // the reservation is queued or in flight, not answered
      const started = performance.now();
      expect(await wait).toEqual({ rejected: 'gone' });
      expect(performance.now() - started).toBeLessThan(500);
      // Once the refund is in, the next token is due within the second, not 2 s out.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await limiter.peek('k')).resetMs).toBeLessThanOrEqual(1000);
    });

    it('5,000 waiters aborted at random moments (during the call, after it, never) give back exactly what they reserved', async () => {
      // A token every 19.6 s: nothing refills while the test runs (the fake clock stands still; Redis' PX is longer).
      const now = 1_764_000_000_000;
      const limit = { capacity: 5, refillRate: 5101, interval: 99_999_000 };
      const limiter = limiterOn({ ...limit, clock: () => now });
      const model = new GcraModel([limit]);
      await limiter.consume('k', 3);
      model.call(now, 3);
      const plans = fc.sample(
        fc.record({
          cost: fc.integer({ min: 1, max: 5 }),
          maxWaitMs: fc.constantFrom(0, 3_600_000, 10 ** 11),
          abort: fc.constantFrom('during', 'during', 'after', 'later', 'never'),
          turns: fc.integer({ min: 0, max: 3 }),
        }),
        5000,
      );
      // Every reservation goes in one tick, so Redis decides them in this order, before any give-back.
      const controllers = plans.map(() => new AbortController());
      const settled: (Decision | { rejected: unknown } | undefined)[] = [];
      const waits = plans.map((plan, i) =>
        outcome(limiter.wait('k', plan.cost, { maxWaitMs: plan.maxWaitMs, signal: controllers[i]?.signal })).then((o) => {
          settled[i] = o;
          return o;
        }),
      );
      const wants = plans.map((plan) => model.call(now, plan.cost, plan.maxWaitMs));
      for (const [i, plan] of plans.entries()) if (plan.abort === 'during') controllers[i]?.abort('gone');
      // 'later': after a few turns of the event loop, whether or not the reservation has landed by then.
      await Promise.all(
        plans.map(async (plan, i) => {
          if (plan.abort !== 'later') return;
          for (let turn = 0; turn < plan.turns; turn++) await new Promise((resolve) => setImmediate(resolve));
          controllers[i]?.abort('gone');
        }),
      );
      // 'after': once every reservation has landed (a look queued behind them has come back).
      await limiter.peek('k');
      for (const [i, plan] of plans.entries()) if (plan.abort === 'after') controllers[i]?.abort('gone');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the give-backs are fire-and-forget
      for (const [i, plan] of plans.entries()) {
        const want = wants[i] as (typeof wants)[number];
        const got = settled[i];
        if (plan.abort === 'during') expect(got).toEqual({ rejected: 'gone' });
        if (plan.abort === 'never' && want.allowed && want.delayMs > 0) expect(got).toBeUndefined(); // its turn is hours away
        if (plan.abort === 'after' && want.allowed)
          expect(got).toEqual(want.delayMs > 0 ? { rejected: 'gone' } : expect.objectContaining({ allowed: true }));
        if (got !== undefined && !('rejected' in got)) {
          expect(essentials(got)).toEqual({
            allowed: want.allowed,
            remaining: want.remaining,
            retryAfterMs: want.retryAfterMs,
            resetMs: want.resetMs,
          });
        }
        // Exactly what an aborted wait reserved comes back: a wait that rejected had taken its cost if the model granted it.
        if (got !== undefined && 'rejected' in got && want.allowed) model.refund(now, plan.cost);
      }
      const wantNow = model.call(now, 0);
      expect(essentials(await limiter.peek('k'))).toEqual({
        allowed: wantNow.allowed,
        remaining: wantNow.remaining,
        retryAfterMs: wantNow.retryAfterMs,
        resetMs: wantNow.resetMs,
      });
      // Aborting the rest gives every reserved token back: only the waits granted at once keep theirs.
      for (const c of controllers) c.abort('gone');
      let keptByGranted = 0;
      for (const [i, o] of (await Promise.all(waits)).entries()) if (!('rejected' in o) && o.allowed) keptByGranted += plans[i]?.cost ?? 0;
      await new Promise((resolve) => setTimeout(resolve, 100));
      const base = new GcraModel([limit]);
      base.call(now, 3 + keptByGranted);
      const left = base.call(now, 0);
      expect(essentials(await limiter.peek('k'))).toEqual({
        allowed: true,
        remaining: left.remaining,
        retryAfterMs: 0,
        resetMs: left.resetMs,
      });
    });
  });
}

if (single !== undefined) redisSuite('RedisStore', () => new RedisStore({ client: redisClient(), time: 'client' }));
if (cluster !== undefined)
  redisSuite('RedisStore on Redis Cluster', () => new RedisStore({ client: redisClusterClient(), time: 'client' }));

describe('MemoryStore refunds (the store primitive)', () => {
  it('a refund is never refused, even with reservations beyond capacity, and never fills beyond full', () => {
    const store = new MemoryStore();
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => 1_000_000 });
    limiter.consumeSync('k', 2);
    store.update(limiter.policy, 'k', 2, 10_000, 1_000_000); // a reservation 2 tokens beyond empty
    expect(store.update(limiter.policy, 'k', -1, 0, 1_000_000)).toMatchObject({ allowed: true, aheads: Float64Array.of(3000) });
    expect(store.update(limiter.policy, 'k', -100, 0, 1_000_000)).toMatchObject({ allowed: true, aheads: Float64Array.of(0) });
    expect(limiter.consumeSync('k').remaining).toBe(1);
  });
});
