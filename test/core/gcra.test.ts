/**
 * compileBand refuses what it cannot compile exactly, each check on its own: the refill rate, the interval and
 * the capacity, with the option named (under `where`) and the value. applyCall's blocks and the TATs it leaves.
 */
import { describe, expect, it } from 'vitest';
import { SluiceConfigError } from '../../src/core/errors.js';
import { applyCall, compileBand } from '../../src/core/gcra.js';

function messageOf(compile: () => unknown): string {
  try {
    compile();
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a SluiceConfigError');
}

describe('compileBand', () => {
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '2'])('refuses refillRate %s', (refillRate) => {
    expect(messageOf(() => compileBand(5, refillRate as number, 1000, undefined, 'limits[1]'))).toMatch(
      /^sluice: option `limits\[1\]\.refillRate` must be a positive, finite number; got /,
    );
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1000'])('refuses interval %s (ms)', (intervalMs) => {
    expect(messageOf(() => compileBand(5, 1, intervalMs as number))).toMatch(
      /^sluice: option `interval` must be a positive, finite duration; got /,
    );
  });

  it.each([0, 1.5, Number.NaN, '5'])('refuses capacity %s', (capacity) => {
    expect(messageOf(() => compileBand(capacity as number, 1, 1000))).toMatch(
      /^sluice: option `capacity` must be a positive, finite number: a whole number of tokens from 1 to \d+ /,
    );
  });

  // Where both options contribute the same power of ten, the message names the option that is the numerator of the
  // quantity it explains: refillRate for tokens per ms, interval for ms per token.
  it('a rate too fine with refillRate and interval contributing equally (2e6 per 5e-7 ms): names refillRate', () => {
    expect(messageOf(() => compileBand(1, 2e6, 5e-7, undefined, 'limits[0]'))).toMatch(
      /^sluice: option `limits\[0\]\.refillRate` makes a rate too fine to count exactly \(refillRate 2000000 per 5e-7 ms\)/,
    );
  });

  it('an emission interval too long with interval and refillRate contributing equally (1e-8 per 1e8 ms): names interval', () => {
    expect(messageOf(() => compileBand(1, 1e-8, 1e8, undefined, 'limits[0]'))).toMatch(
      /^sluice: option `limits\[0\]\.interval` makes an emission interval too long or too fine to count exactly \(refillRate 1e-8 per 100000000 ms\)/,
    );
  });

  it('compiles the smallest positive values', () => {
    expect(compileBand(1, 1, 1)).toMatchObject({ capacity: 1 });
  });
});

describe('applyCall', () => {
  const now = 1_700_000_000_000;
  // Band a: 2 tokens, 1 per s; band b: 5 tokens, 1 per s (scale 1: a TAT is whole ms, nothing short).
  const bands = () => [compileBand(2, 1, 1000, 'a'), compileBand(5, 1, 1000, 'b')];

  it('a refused call that takes tokens in every band blocks the band that refused: TAT at now + tolerance + blockMs − T', () => {
    const tats = [now + 2000, now]; // a empty, b full
    const aheads = [0, 0];
    expect(applyCall(bands(), tats, undefined, 0, now, [1, 2], 0, aheads, 10_000)).toBe(false);
    expect(tats).toEqual([now + 11_000, now]);
    expect(aheads).toEqual([11_000, 0]);
  });

  it('blocks the second band at its own slot of a table row past the first (offset 2): the other rows stay as they were', () => {
    // Two keys' rows of two bands each; the call is the second key's (offset 2), whose band b is empty.
    const tats = [now + 111, now + 222, now, now + 5000];
    const aheads = [0, 0];
    expect(applyCall(bands(), tats, undefined, 2, now, [1, 1], 0, aheads, 10_000)).toBe(false);
    expect(tats).toEqual([now + 111, now + 222, now, now + 14_000]);
    expect(aheads).toEqual([0, 14_000]);
  });

  it('a refused call that takes no tokens (a refund meeting a band in debt) never blocks', () => {
    const tats = [now + 4000, now + 1000]; // a in debt by 2 tokens
    const aheads = [0, 0];
    applyCall(bands(), tats, undefined, 0, now, [0, -1], 0, aheads, 10_000);
    expect(tats[0]).toBe(now + 4000);
    expect(aheads[0]).toBe(4000);
  });

  it('leaves the TAT of a band that a call takes nothing from as it was, even one in the past', () => {
    const tats = [now - 5000, now + 1000];
    const shorts = [0, 0];
    const aheads = [0, 0];
    expect(applyCall(bands(), tats, shorts, 0, now, [0, 1], 0, aheads)).toBe(true);
    expect(tats).toEqual([now - 5000, now + 2000]);
    expect(aheads).toEqual([0, 2000]);
  });
});
