/**
 * `aheadAfterTake`, the one step a store's one-band path takes for a call that takes tokens, is `callFits`
 * followed by `aheadAfterCall`: on random bands, deficits, costs (up to a charge's largest) and slacks
 * (none, a reservation's, a charge's Infinity), it answers -1 exactly when the call does not fit, and
 * otherwise the deficit the two steps give, the cap included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aheadAfterCall, aheadAfterTake, callFits, compileBand, MAX_AHEAD_UNITS, maxChargeTokens, maxWaitMs } from '../src/core/gcra.js';
import { propertyRuns } from './setup/propertyRuns.js';

const bandArb = fc
  .record({
    capacity: fc.integer({ min: 1, max: 1_000_000 }),
    refillRate: fc.oneof(fc.integer({ min: 1, max: 1_000_000_000 }), fc.constantFrom(0.5, 3, 7.25)),
    intervalMs: fc.oneof(fc.integer({ min: 1, max: 86_400_000 }), fc.constantFrom(1000 / 3, 0.5)),
  })
  .map(({ capacity, refillRate, intervalMs }) => {
    try {
      return compileBand(capacity, refillRate, intervalMs);
    } catch {
      return compileBand(10, 1, 1000);
    }
  });

describe('aheadAfterTake', () => {
  it('equals callFits then aheadAfterCall for every call that takes tokens', () => {
    fc.assert(
      fc.property(
        bandArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(Number.POSITIVE_INFINITY)),
        (band, aheadShare, costShare, slackShare) => {
          // A deficit up to the cap (a band in debt, or blocked), a cost up to a charge's largest.
          const ahead = Math.floor(aheadShare * MAX_AHEAD_UNITS);
          const cost = Math.max(1, Math.floor(costShare * maxChargeTokens(band)));
          const slackMs = slackShare === Number.POSITIVE_INFINITY ? slackShare : Math.floor(slackShare * maxWaitMs([band]));
          const expected = callFits(band, ahead, cost, slackMs) ? aheadAfterCall(band, ahead, cost) : -1;
          expect(aheadAfterTake(band, ahead, cost, slackMs)).toBe(expected);
        },
      ),
      { numRuns: propertyRuns(2000) },
    );
  });

  it('decides small deficits and costs near the tolerance as callFits does', () => {
    fc.assert(
      fc.property(bandArb, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 }), (band, tokensShort, cost) => {
        const ahead = Math.max(0, band.tolerance - tokensShort * band.emission + (tokensShort % 2));
        const expected = callFits(band, ahead, cost, 0) ? aheadAfterCall(band, ahead, cost) : -1;
        expect(aheadAfterTake(band, ahead, cost, 0)).toBe(expected);
      }),
    );
  });
});
