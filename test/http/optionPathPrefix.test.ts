/**
 * `underOption`: an option error of a nested options object (a plan's, a route's) named by its full path, in its
 * `option` and in the paths its message leads with, and nowhere else in the message.
 */
import { describe, expect, it } from 'vitest';
import { SluiceConfigError } from '../../src/core/errors.js';
import { rejectUnknownOptions } from '../../src/core/optionSchema.js';
import { underOption } from '../../src/http/optionPathPrefix.js';

/** The error rejectUnknownOptions throws for `options` against the known names `known`. */
function unknownOptions(options: Record<string, unknown>, known: readonly string[]): SluiceConfigError {
  try {
    rejectUnknownOptions(options, known);
  } catch (error) {
    if (error instanceof SluiceConfigError) return error;
    throw error;
  }
  throw new Error('expected a SluiceConfigError');
}

describe('underOption', () => {
  it('one option: its path under the prefix, in `option` and in the message; the rest of the message and the value kept', () => {
    const named = underOption(new SluiceConfigError('capacity', -1, 'must be a whole number ≥ 1'), 'plans.free');
    expect(named).toBeInstanceOf(SluiceConfigError);
    expect(named.option).toBe('plans.free.capacity');
    expect(named.value).toBe(-1);
    expect(named.message).toBe('sluice: option `plans.free.capacity` must be a whole number ≥ 1; got -1');
    // A one-letter path, a path with dots and brackets, and a backtick later in the message (not a path: left alone).
    expect(underOption(new SluiceConfigError('x', 0, 'must be `y`'), 'config.rateLimit').message).toBe(
      'sluice: option `config.rateLimit.x` must be `y`; got 0',
    );
    expect(underOption(new SluiceConfigError('limits[1].interval', 'soon', 'must be a duration'), 'plans.pro').message).toBe(
      'sluice: option `plans.pro.limits[1].interval` must be a duration; got "soon"',
    );
  });

  it('several unknown options: every path it names, and its `option` list, under the prefix', () => {
    const error = unknownOptions({ aa: 1, bb: 2 }, ['capacity']);
    expect(error.message).toMatch(/^sluice: options `aa`, `bb` are not known options/);
    const named = underOption(error, 'plans.free');
    expect(named.option).toBe('plans.free.aa, plans.free.bb');
    expect(named.message.startsWith('sluice: options `plans.free.aa`, `plans.free.bb` are not known options')).toBe(true);
    expect(named.message.slice(named.message.indexOf(' are not known options'))).toBe(
      error.message.slice(error.message.indexOf(' are not known options')),
    );
    const four = underOption(unknownOptions({ a: 1, b: 2, c: 3, d: 4 }, ['capacity']), 'config.rateLimit');
    expect(four.message).toMatch(
      /^sluice: options `config\.rateLimit\.a`, `config\.rateLimit\.b`, `config\.rateLimit\.c`, 1 more are not known options/,
    );
  });

  it("a message that does not begin with sluice's own option path (a store's error, reworded) is left as it is", () => {
    const reworded = new SluiceConfigError('namespace', 'x|', 'is taken');
    reworded.message = 'mystore: sluice: option `namespace` is taken';
    const named = underOption(reworded, 'plans.free');
    expect(named.option).toBe('plans.free.namespace');
    expect(named.message).toBe('mystore: sluice: option `namespace` is taken');
  });
});
