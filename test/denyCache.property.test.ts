import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toDecision } from '../src/core/decision.js';
import { type Band, compileBand } from '../src/core/gcra.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';
import { propertyRuns } from './setup/propertyRuns.js';

const bandArb = fc
  .record({
    capacity: fc.integer({ min: 1, max: 1000 }),
    refillRate: fc.oneof(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(0.5, 2.25, 5101)),
    intervalMs: fc.constantFrom(7, 999, 1000, 60_000),
  })
  .map(({ capacity, refillRate, intervalMs }) => compileBand(capacity, refillRate, intervalMs));

/** A denial as Redis reports it: per band how far its TAT is ahead (at most the tolerance), and a cost up to the capacity (the limiter refuses more before any store call). */
const denialArb = fc.array(bandArb, { minLength: 1, maxLength: 3 }).chain((bands) =>
  fc.record({
    bands: fc.constant(bands as readonly Band[]),
    aheads: fc.tuple(...bands.map((band) => fc.integer({ min: 0, max: band.tolerance }))),
    cost: fc.integer({ min: 1, max: Math.min(...bands.map((band) => band.capacity)) }),
  }),
);

describe('DenyCache follows the decision of the denial it holds', () => {
  it('answers a cached denial exactly until the decision said to retry, with that decision', () => {
    fc.assert(
      fc.property(denialArb, fc.integer({ min: 0, max: 1e12 }), ({ bands, aheads, cost }, now) => {
        const denied = toDecision(bands, { allowed: false, now, aheads }, cost);
        const cache = new DenyCache(10, 1 << 20);
        cache.remember('k', bands, cost, { allowed: false, now, aheads });
        if (denied.retryAfterMs === 0) {
          expect(cache.size).toBe(0); // the tokens are already there: nothing to hold
          return;
        }
        const last = cache.lookup('k', cost, now + denied.retryAfterMs - 1);
        expect(last && toDecision(bands, last, cost).retryAfterMs).toBe(1);
        const first = cache.lookup('k', cost, now);
        expect(first && toDecision(bands, first, cost)).toEqual(denied);
        expect(cache.lookup('k', cost, now + denied.retryAfterMs)).toBeUndefined();
      }),
      { numRuns: propertyRuns(300) },
    );
  });
});
