/**
 * compileBand refuses what it cannot compile exactly, each check on its own: the refill rate, the interval and
 * the capacity, with the option named (under `where`) and the value.
 */
import { describe, expect, it } from 'vitest';
import { SluiceConfigError } from '../../src/core/errors.js';
import { compileBand } from '../../src/core/gcra.js';

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

  it('compiles the smallest positive values', () => {
    expect(compileBand(1, 1, 1)).toMatchObject({ capacity: 1 });
  });
});
