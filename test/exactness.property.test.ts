/**
 * Exactness at every rate: MemoryStore (its fused one-band path and its general path) and RedisStore (the
 * script's general path and its common-batch path) against the BigInt GCRA of gcraModel.ts, decision by
 * decision, on random limits (large coprime numerators and denominators, non-round and fractional
 * intervals, fractional rates), realistic epoch clocks (whole and fractional ms) and random costs.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toDecision } from '../src/core/decision.js';
import { aheadsAfter, reservationDelayMs } from '../src/core/gcra.js';
import { MemoryStore, RateLimiter, type RateLimiterOptions, RedisStore, SluiceConfigError, type Store } from '../src/index.js';
import { decisionView } from './decisionView.js';
import { GcraModel, inDocumentedRange, type ModelLimit } from './gcraModel.js';
import { propertyRuns } from './setup/propertyRuns.js';
import { redisClient, redisOptions } from './setup/redisTarget.js';

const single = redisOptions();

const PRIMES = [5101, 58_853, 999_983, 1_000_003, 7_368_787, 2_147_483_647];
const limitArb: fc.Arbitrary<ModelLimit> = fc.record({
  capacity: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1_000_000 })),
  refillRate: fc.oneof(
    fc.integer({ min: 1, max: 100 }),
    fc.integer({ min: 1000, max: 10_000_000 }),
    fc.constantFrom(...PRIMES),
    // Fractional rates, written as decimals (n / 10^k prints as that decimal).
    fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 4 })).map(([n, k]) => n / 10 ** k),
  ),
  interval: fc.oneof(
    fc.integer({ min: 1, max: 100_000_000 }),
    fc.constantFrom(999, 134, 997, 1000, 60_000, 86_400_000, 2_592_000_000),
    fc.constantFrom('0.5s', '1.5s', '1.1s', '2.5m', '7m', '1.5h', '1d', '0.25ms', '0.7s'),
    fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 3 })).map(([n, k]) => n / 10 ** k),
  ),
});

const clockArb = fc.oneof(
  fc.integer({ min: 1_500_000_000_000, max: 4_000_000_000_000 }),
  fc.double({ min: 1_500_000_000_000, max: 4_000_000_000_000, noNaN: true }),
  fc.integer({ min: 0, max: 1_000_000 }),
);

const stepArb = fc.record({
  key: fc.constantFrom('a', 'b'),
  kind: fc.constantFrom('consume', 'consume', 'consume', 'peek', 'reserve', 'refund'),
  // How far the clock moves: whole ms, fractions of a ms, or a number of tokens' worth of refill.
  advance: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 20 }),
    fc.integer({ min: 0, max: 5000 }),
    fc.double({ min: 0, max: 50, noNaN: true }),
    fc.integer({ min: 0, max: 4 }).map((tokens) => ({ tokens })),
  ),
  costPick: fc.nat({ max: 1_000_000 }),
  slackMs: fc.constantFrom(0, 1, 100, 10_000, 1_000_000, 3_000_000_000),
});

function limiterOptions(limits: readonly ModelLimit[]): Omit<RateLimiterOptions, 'store' | 'clock' | 'prefix'> {
  const [first] = limits as [ModelLimit];
  return limits.length === 1
    ? { capacity: first.capacity, refillRate: first.refillRate, interval: first.interval as number }
    : { limits: limits.map((l) => ({ capacity: l.capacity, refillRate: l.refillRate, interval: l.interval as number })) };
}

interface Target {
  makeStore(): Store;
  /** Redis expires keys in wall time: its fake clock must run ahead of wall time. */
  followsWallTime: boolean;
}

/** One random run: every decision of the store equals the model's. */
async function replay(target: Target, limits: ModelLimit[], start: number, steps: readonly StepValue[]) {
  if (!limits.every(inDocumentedRange)) {
    // Out of the documented range: refused at construction, never silently wrong.
    expect(() => new RateLimiter({ ...limiterOptions(limits), store: new MemoryStore() } as RateLimiterOptions)).toThrow(SluiceConfigError);
    return;
  }
  let now = start;
  const limiter = new RateLimiter({
    ...limiterOptions(limits),
    store: target.makeStore(),
    prefix: `exact:${randomUUID().slice(0, 8)}:`,
    clock: () => now,
    timeoutMs: 5000,
  } as RateLimiterOptions);
  const models = new Map<string, GcraModel>();
  const model = (key: string) => {
    const known = models.get(key);
    if (known !== undefined) return known;
    const fresh = new GcraModel(limits);
    models.set(key, fresh);
    return fresh;
  };
  const minCapacity = Math.min(...limits.map((l) => l.capacity));
  // The longest emission interval (ms per token) of the bands, for advances of a few tokens' worth.
  const slowest = Math.max(...limiter.limits.map((band) => band.intervalMs / band.refillRate));
  const wallStart = performance.now();
  let advanced = 0;
  for (const step of steps) {
    const { key, kind, advance, costPick, slackMs } = step;
    advanced += typeof advance === 'number' ? advance : Math.ceil(advance.tokens * slowest);
    // Twice wall time, rounded up: by the time Redis expires a key (its PX, in wall time), the fake clock is
    // past its TAT even with a ms lost to rounding on each side.
    now = start + advanced + (target.followsWallTime ? Math.ceil(2 * (performance.now() - wallStart)) : 0);
    const cost = costPick % 4 < 2 ? costPick % 4 : costPick % (minCapacity + 1);
    if (kind === 'consume' || kind === 'peek') {
      const got = kind === 'peek' ? await limiter.peek(key) : await limiter.consume(key, cost);
      expect(decisionView(got)).toEqual(decisionView(model(key).call(now, kind === 'peek' ? 0 : cost)));
    } else if (kind === 'refund') {
      await limiter.store.update(limiter.policy, key, -cost, 0, Math.floor(now));
      model(key).refund(now, cost);
    } else {
      // wait()'s reservation, as RateLimiter.reserve reads it (the timer itself is tested in wait.test.ts).
      const slack = Math.min(slackMs, limiter.maxWaitMs);
      const result = await limiter.store.update(limiter.policy, key, cost, slack, Math.floor(now));
      const delay = result.allowed ? reservationDelayMs(limiter.limits, result.aheads) : 0;
      const got = toDecision(
        limiter.limits,
        { allowed: result.allowed, now: result.now + delay, aheads: aheadsAfter(limiter.limits, result.aheads, delay) },
        cost,
      );
      const want = model(key).call(now, cost, slack);
      expect({ ...decisionView(got), delayMs: delay }).toEqual({ ...decisionView(want), delayMs: want.delayMs });
    }
  }
}

type StepValue = {
  key: string;
  kind: string;
  advance: number | { tokens: number };
  costPick: number;
  slackMs: number;
};

function exactnessProperty(target: Target, numRuns: number, maxSteps: number) {
  return fc.assert(
    fc.asyncProperty(
      fc.array(limitArb, { minLength: 1, maxLength: 3 }),
      clockArb,
      fc.array(stepArb, { minLength: 1, maxLength: maxSteps }),
      (limits, start, steps) => replay(target, limits, start, steps as StepValue[]),
    ),
    { numRuns },
  );
}

describe('exact GCRA at every rate: MemoryStore against the BigInt model', () => {
  it('every decision (allowed, remaining, retryAfterMs, resetMs, per band; reservations and refunds) equals the model', async () => {
    await exactnessProperty({ makeStore: () => new MemoryStore(), followsWallTime: false }, 400, 60);
  });

  it('{ capacity: 5, refillRate: 5101, interval: 999 } hammered 5 calls a ms for 1.5 s: 7,500 allowed, as exact GCRA', () => {
    let now = 1_764_000_000_000;
    const limit = { capacity: 5, refillRate: 5101, interval: 999 };
    const limiter = new RateLimiter({ ...limit, clock: () => now });
    const model = new GcraModel([limit]);
    let allowed = 0;
    let modelAllowed = 0;
    for (let t = 0; t < 1500; t++, now++) {
      for (let i = 0; i < 5; i++) {
        if (limiter.consumeSync('k').allowed) allowed++;
        if (model.call(now, 1).allowed) modelAllowed++;
      }
    }
    expect(modelAllowed).toBe(7500);
    expect(allowed).toBe(7500);
  });

  it('{ capacity: 1, refillRate: 5101, interval: 999 } admits every brand-new key, 20 ms apart', () => {
    let now = 1_764_000_000_000;
    const limiter = new RateLimiter({ capacity: 1, refillRate: 5101, interval: 999, clock: () => now });
    const refused: number[] = [];
    for (let i = 0; i < 2000; i++, now += 20) {
      const d = limiter.consumeSync(`new:${i}`);
      if (!d.allowed || d.remaining !== 0) refused.push(i);
      // The second call on the key is refused for exactly one emission interval (999/5101 ms → 1 ms).
      expect(limiter.consumeSync(`new:${i}`)).toMatchObject({ allowed: false, retryAfterMs: 1 });
    }
    expect(refused).toEqual([]);
  });

  it('a fractional clock counts in whole ms: decisions equal those of the clock rounded down', () => {
    let now = 1_764_000_000_000.75;
    const fractional = new RateLimiter({ capacity: 3, refillRate: 1000, interval: 999, clock: () => now });
    const whole = new RateLimiter({ capacity: 3, refillRate: 1000, interval: 999, clock: () => Math.floor(now) });
    for (let i = 0; i < 500; i++, now += 0.37) {
      expect(decisionView(fractional.consumeSync('k'))).toEqual(decisionView(whole.consumeSync('k')));
    }
  });
});

describe.skipIf(single === undefined)('exact GCRA at every rate: RedisStore against the BigInt model', () => {
  it("the script's general path (client time, deny cache on): every decision equals the model", async () => {
    const client = redisClient();
    await exactnessProperty({ makeStore: () => new RedisStore({ client, time: 'client' }), followsWallTime: true }, 30, 30);
  });

  it("the script's common-batch path (Redis time, cost 1) and its general path agree with the model at Redis' clock", async () => {
    const client = redisClient();
    await fc.assert(
      fc.asyncProperty(
        limitArb.filter(inDocumentedRange),
        fc.array(fc.tuple(fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 24 }), fc.boolean()), {
          minLength: 1,
          maxLength: 6,
        }),
        async (limit, ticks) => {
          const store = new RedisStore({ client, denyCache: false });
          const limiter = new RateLimiter({
            ...limit,
            interval: limit.interval as number,
            store,
            prefix: `batch:${randomUUID().slice(0, 8)}:`,
          });
          const models = new Map<string, GcraModel>();
          for (const [keys, general] of ticks) {
            // One tick of calls: all of cost 1 goes down the common-batch path; one cost-0 look sends it down the general one.
            const calls = keys.map((key) => ({ key, cost: 1 }));
            if (general) calls.push({ key: 'a', cost: 0 });
            const results = await Promise.all(calls.map(({ key, cost }) => store.update(limiter.policy, key, cost, 0, 0)));
            for (const [i, { key, cost }] of calls.entries()) {
              const result = results[i] as (typeof results)[number];
              const model = models.get(key) ?? new GcraModel([limit]);
              models.set(key, model);
              expect(decisionView(toDecision(limiter.limits, result, cost))).toEqual(decisionView(model.call(result.now, cost)));
            }
          }
        },
      ),
      { numRuns: propertyRuns(25) },
    );
  });

  it('{ capacity: 1, refillRate: 5101, interval: 999 } admits every brand-new key, at client and at Redis time', async () => {
    const client = redisClient();
    for (const time of ['client', 'redis'] as const) {
      let now = 1_764_000_000_000;
      const limiter = new RateLimiter({
        capacity: 1,
        refillRate: 5101,
        interval: 999,
        clock: () => now,
        store: new RedisStore({ client, time }),
        prefix: `fresh:${randomUUID().slice(0, 8)}:`,
        timeoutMs: 5000,
      });
      const decisions = await Promise.all(
        Array.from({ length: 300 }, (_, i) => {
          now += 20;
          return limiter.consume(`new:${i}`);
        }),
      );
      expect(decisions.filter((d) => !d.allowed || d.remaining !== 0)).toEqual([]);
    }
  });

  it('{ capacity: 5, refillRate: 5101, interval: 999 } hammered 5 calls a ms: exactly as the model', async () => {
    let now = 1_764_000_000_000;
    const limit = { capacity: 5, refillRate: 5101, interval: 999 };
    const limiter = new RateLimiter({
      ...limit,
      clock: () => now,
      store: new RedisStore({ client: redisClient(), time: 'client', denyCache: false }),
      prefix: `hammer:${randomUUID().slice(0, 8)}:`,
      timeoutMs: 5000,
    });
    const model = new GcraModel([limit]);
    let allowed = 0;
    let modelAllowed = 0;
    // Redis expires keys in wall time, so the fake clock never runs behind it.
    const start = now;
    const wallStart = performance.now();
    for (let t = 0; t < 200; t++) {
      now = Math.max(now + 1, start + Math.ceil(performance.now() - wallStart));
      const decisions = await Promise.all(Array.from({ length: 5 }, () => limiter.consume('k')));
      allowed += decisions.filter((d) => d.allowed).length;
      for (let i = 0; i < 5; i++) if (model.call(now, 1).allowed) modelAllowed++;
    }
    expect(modelAllowed).toBe(1000);
    expect(allowed).toBe(1000);
  });
});
