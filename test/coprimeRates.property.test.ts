import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Decision, type LimitOptions, RateLimiter } from '../src/index.js';
import { decisionView } from './decisionView.js';
import { GcraModel, type ModelLimit } from './gcraModel.js';
import { FailingStore } from './setup/failingStore.js';
import { propertyRuns } from './setup/propertyRuns.js';

/**
 * Rates whose tokens per ms, in lowest terms p/q, have a large numerator and a large denominator: the emission
 * interval is then a fraction of a ms with a large denominator, and every conversion between band units and ms
 * (× or ÷ the scale) shows in the decisions. Rates that divide their interval (scale 1) hide such mistakes.
 */
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const coprimeRate = fc
  .record({ refillRate: fc.integer({ min: 1_000, max: 1_000_000 }), interval: fc.integer({ min: 1_000, max: 1_000_000 }) })
  .filter(({ refillRate, interval }) => gcd(refillRate, interval) === 1);
const limitArb = fc
  .record({ capacity: fc.integer({ min: 2, max: 40 }), rate: coprimeRate })
  .map(({ capacity, rate }): LimitOptions & ModelLimit => ({ capacity, refillRate: rate.refillRate, interval: rate.interval }));

describe('wait() at rates with a large coprime numerator and denominator, costs above 1', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves exactly when the reference model grants the tokens, with the decision it describes then', async () => {
    const steps = fc.array(
      fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), costPick: fc.nat(), maxWaitMs: fc.integer({ min: 0, max: 5_000 }) }),
      { minLength: 1, maxLength: 15 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(limitArb, { minLength: 1, maxLength: 2 }), steps, async (limits, calls) => {
        const limiter = new RateLimiter({ limits, clock: () => Date.now() });
        const model = new GcraModel(limits);
        const maxCost = Math.min(...limits.map((limit) => limit.capacity));
        for (const { gap, costPick, maxWaitMs } of calls) {
          vi.advanceTimersByTime(gap);
          const cost = 1 + (costPick % maxCost);
          const want = model.call(Date.now(), cost, maxWaitMs);
          let settled: Decision | undefined;
          const pending = limiter.wait('k', cost, { maxWaitMs }).then((decision) => {
            settled = decision;
          });
          if (want.delayMs > 0) {
            await vi.advanceTimersByTimeAsync(want.delayMs - 1);
            expect(settled, 'resolved before its tokens were due').toBeUndefined();
            await vi.advanceTimersByTimeAsync(1);
          }
          await pending;
          expect(decisionView(settled as Decision)).toEqual(decisionView(want));
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});

describe('blockDuration at such rates', () => {
  // Shorter and longer than an emission interval (at most 1 s here).
  const blockDurationArb = fc.oneof(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 60_000 }));

  it('a refusal blocks for exactly blockDuration (or the natural wait, if longer), as the reference model says', () => {
    const steps = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3_000 }), costPick: fc.nat() }), { minLength: 1, maxLength: 15 });
    fc.assert(
      fc.property(fc.array(limitArb, { minLength: 1, maxLength: 2 }), blockDurationArb, steps, (limits, blockMs, calls) => {
        let now = 1_700_000_000_000;
        const limiter = new RateLimiter({ limits, blockDuration: blockMs, clock: () => now });
        const model = new GcraModel(limits);
        const maxCost = Math.min(...limits.map((limit) => limit.capacity));
        // Empty the bucket first, so that the calls below are refused and block.
        limiter.consumeSync('k', maxCost);
        model.call(now, maxCost, 0, blockMs);
        for (const { gap, costPick } of calls) {
          now += gap;
          const cost = 1 + (costPick % maxCost);
          const want = model.call(now, cost, 0, blockMs);
          const got = limiter.consumeSync('k', cost);
          expect(decisionView(got)).toEqual(decisionView(want));
          expect(got.blocked).toBe(!want.allowed);
        }
      }),
      { numRuns: propertyRuns(150) },
    );
  });

  it('one band, emptied: a refusal retries after max(blockDuration, one emission interval), when one token fits exactly', () => {
    fc.assert(
      fc.property(limitArb, blockDurationArb, (limit, blockMs) => {
        const start = 1_700_000_000_000;
        let now = start;
        const limiter = new RateLimiter({ ...limit, blockDuration: blockMs, clock: () => now });
        let retryAfterMs = 0;
        for (const key of ['early', 'due']) {
          limiter.consumeSync(key, limit.capacity);
          const refused = limiter.consumeSync(key);
          expect(refused).toMatchObject({ allowed: false, blocked: true, remaining: 0 });
          retryAfterMs = refused.retryAfterMs;
        }
        expect(retryAfterMs).toBe(Math.max(blockMs, Math.ceil((limit.interval as number) / limit.refillRate)));
        now = start + retryAfterMs - 1;
        expect(limiter.consumeSync('early')).toMatchObject({ allowed: false, blocked: true });
        now = start + retryAfterMs;
        expect(limiter.consumeSync('due')).toMatchObject({ allowed: true, remaining: 0 });
      }),
      { numRuns: propertyRuns(150) },
    );
  });
});

describe("the 'deny' answer of a failed store at such rates", () => {
  it('retries after exactly the time `cost` tokens take to refill, as the model says of an empty bucket', async () => {
    await fc.assert(
      fc.asyncProperty(limitArb, fc.nat(), fc.boolean(), async (limit, costPick, synchronous) => {
        const cost = 1 + (costPick % limit.capacity);
        const limiter = new RateLimiter({
          ...limit,
          store: new FailingStore(synchronous ? 'throw' : 'reject', { synchronous }),
          onStoreError: 'deny',
        });
        const model = new GcraModel([limit]);
        model.call(0, limit.capacity);
        const want = model.call(0, cost);
        const got = synchronous ? limiter.consumeSync('k', cost) : await limiter.consume('k', cost);
        expect(got).toMatchObject({ allowed: false, degraded: true, remaining: 0, limit: limit.capacity, retryAfterMs: want.retryAfterMs });
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});
