import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/index.js';
import { propertyRuns } from './setup/propertyRuns.js';

/**
 * The reference model: the textbook token bucket, in exact integer arithmetic (BigInt), with tokens
 * scaled by the interval so that continuous refill never needs a fraction. It shares no code with sluice.
 */
class ModelBucket {
  private scaled: bigint; // tokens × intervalMs
  private last: bigint;
  constructor(
    private readonly capacity: bigint,
    private readonly rate: bigint,
    private readonly intervalMs: bigint,
    start: bigint,
  ) {
    this.scaled = capacity * intervalMs;
    this.last = start;
  }
  private refill(now: bigint): void {
    const full = this.capacity * this.intervalMs;
    const next = this.scaled + (now - this.last) * this.rate;
    // biome-ignore lint/complexity/useMathMinMax: BigInt values; Math.min takes numbers only
    this.scaled = next > full ? full : next;
    this.last = now;
  }
  /** Tokens available at `now`, scaled. */
  level(now: bigint): bigint {
    this.refill(now);
    return this.scaled;
  }
  fits(now: bigint, cost: bigint): boolean {
    return this.level(now) >= cost * this.intervalMs;
  }
  take(cost: bigint): void {
    this.scaled -= cost * this.intervalMs;
  }
  /** The decision sluice must report for this band (after `take` when allowed). */
  describe(allowed: boolean, cost: bigint) {
    const ceilDiv = (a: bigint, b: bigint) => (a <= 0n ? 0n : (a + b - 1n) / b);
    const full = this.capacity * this.intervalMs;
    return {
      remaining: Number(this.scaled / this.intervalMs),
      retryAfterMs: allowed ? 0 : Number(ceilDiv(cost * this.intervalMs - this.scaled, this.rate)),
      resetMs: Number(ceilDiv(full - this.scaled, this.rate)),
    };
  }
}

const bandArb = fc.record({
  capacity: fc.integer({ min: 1, max: 50 }),
  refillRate: fc.integer({ min: 1, max: 40 }),
  intervalMs: fc.constantFrom(1, 7, 100, 1000, 60_000, 86_400_000),
});
const stepsArb = fc.array(fc.record({ advance: fc.integer({ min: 0, max: 5_000 }), costPick: fc.integer({ min: 0, max: 1000 }) }), {
  minLength: 1,
  maxLength: 120,
});

describe('token bucket against the reference model', () => {
  it('one band: every decision (allowed, remaining, retryAfterMs, resetMs) equals the model', () => {
    fc.assert(
      fc.property(bandArb, stepsArb, fc.integer({ min: 0, max: 2 ** 41 }), (band, steps, start) => {
        let now = start;
        const limiter = new RateLimiter({
          capacity: band.capacity,
          refillRate: band.refillRate,
          interval: band.intervalMs,
          clock: () => now,
        });
        const model = new ModelBucket(BigInt(band.capacity), BigInt(band.refillRate), BigInt(band.intervalMs), BigInt(start));
        for (const step of steps) {
          now += step.advance;
          const cost = step.costPick % (band.capacity + 1);
          const decision = limiter.consumeSync('k', cost);
          const allowed = model.fits(BigInt(now), BigInt(cost));
          if (allowed) model.take(BigInt(cost));
          expect(decision).toMatchObject({ allowed, limit: band.capacity, ...model.describe(allowed, BigInt(cost)) });
        }
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('two bands: all or nothing, and the reported band is the one closest to refusing', () => {
    fc.assert(
      fc.property(bandArb, bandArb, stepsArb, (a, b, steps) => {
        let now = 1_700_000_000_000;
        const limiter = new RateLimiter({
          limits: [
            { capacity: a.capacity, refillRate: a.refillRate, interval: a.intervalMs },
            { capacity: b.capacity, refillRate: b.refillRate, interval: b.intervalMs },
          ],
          clock: () => now,
        });
        const models = [a, b].map((x) => new ModelBucket(BigInt(x.capacity), BigInt(x.refillRate), BigInt(x.intervalMs), BigInt(now)));
        const maxCost = Math.min(a.capacity, b.capacity);
        for (const step of steps) {
          now += step.advance;
          const cost = BigInt(step.costPick % (maxCost + 1));
          const decision = limiter.consumeSync('k', Number(cost));
          // Ask every band (no short-circuit): each must refill to `now` before it is described.
          const allowed = models.map((m) => m.fits(BigInt(now), cost)).every(Boolean);
          if (allowed) for (const m of models) m.take(cost);
          const expected = models.map((m) => m.describe(allowed, cost));
          expect(decision.allowed).toBe(allowed);
          expect(decision.bands?.map(({ remaining, retryAfterMs, resetMs }) => ({ remaining, retryAfterMs, resetMs }))).toEqual(expected);
          const [first, second] = expected as [ReturnType<ModelBucket['describe']>, ReturnType<ModelBucket['describe']>];
          const pickSecond = allowed ? second.remaining < first.remaining : second.retryAfterMs > first.retryAfterMs;
          expect(decision.remaining).toBe((pickSecond ? second : first).remaining);
          expect(decision.retryAfterMs).toBe((pickSecond ? second : first).retryAfterMs);
        }
      }),
      { numRuns: propertyRuns(200) },
    );
  });

  it('admits at most capacity + rate × window over any window', () => {
    fc.assert(
      fc.property(bandArb, fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 300 }), (band, gaps) => {
        let now = 0;
        const limiter = new RateLimiter({
          capacity: band.capacity,
          refillRate: band.refillRate,
          interval: band.intervalMs,
          clock: () => now,
        });
        const admitted: number[] = [];
        for (const gap of gaps) {
          now += gap;
          if (limiter.consumeSync('k').allowed) admitted.push(now);
        }
        for (let i = 0; i < admitted.length; i++) {
          for (let j = i; j < admitted.length; j++) {
            const window = (admitted[j] as number) - (admitted[i] as number);
            // Exact bound, in integers: count ≤ capacity + window × rate / interval.
            expect((j - i + 1 - band.capacity) * band.intervalMs).toBeLessThanOrEqual(window * band.refillRate);
          }
        }
      }),
      { numRuns: propertyRuns(200) },
    );
  });
});

describe('no floating drift', () => {
  it('a million calls at exactly the refill rate are all admitted (emission interval 1000/3 ms)', () => {
    const start = 1_700_000_000_000;
    let now = start;
    const limiter = new RateLimiter({ capacity: 5, refillRate: 3, interval: 1000, clock: () => now });
    expect(limiter.consumeSync('k', 5).allowed).toBe(true); // empty: from here on only the refill counts
    // Token k is due at start + k × 1000/3 ms; an integer clock reaches it at the ceiling, and the
    // bucket never holds a whole extra token, so no refill is lost to the cap.
    const due = (k: number) => start + Math.ceil((k * 1000) / 3);
    let admitted = 0;
    for (let k = 1; k <= 1_000_000; k++) {
      now = due(k);
      if (limiter.consumeSync('k').allowed) admitted++;
    }
    expect(admitted).toBe(1_000_000);
    now = due(1_000_001) - 1;
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: false, retryAfterMs: 1 });
    now = due(1_000_001);
    expect(limiter.consumeSync('k')).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('polling every ms for a million ms admits exactly capacity + rate × time', () => {
    let now = 1_700_000_000_000;
    const limiter = new RateLimiter({ capacity: 5, refillRate: 7, interval: 1000, clock: () => now });
    let admitted = 0;
    for (let t = 0; t <= 1_000_000; t++) {
      now = 1_700_000_000_000 + t;
      if (limiter.consumeSync('k').allowed) admitted++;
    }
    expect(admitted).toBe(5 + Math.floor((1_000_000 * 7) / 1000));
  });
});
