/**
 * The option declaration and the unknown-option error: defaults of `read` and `rejectUnknown`, the one-option
 * message, and the several-options message (the first three names, "N more", each name's hint, the known names
 * when there is room), never longer than 680 characters.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceConfigError } from '../../src/core/errors.js';
import { declareOptions, rejectUnknownOptions } from '../../src/core/optionSchema.js';
import { propertyRuns } from '../setup/propertyRuns.js';

/** Longest several-options message, in characters. */
const MAX_MESSAGE_LENGTH = 680;

const asIs = (value: unknown) => value;
const declared = declareOptions({ alpha: asIs, beta: asIs }, { max: 'capacity' });

function errorOf(fn: () => unknown): SluiceConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceConfigError);
    return error as SluiceConfigError;
  }
  throw new Error('expected a SluiceConfigError');
}

/** `count` names, none within 2 edits of a known name nor a peer's name. */
const strangers = (count: number, length = 8) => Array.from({ length: count }, (_, i) => `q${String(i).padStart(length - 1, 'x')}`);
const optionsWith = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, 1]));

describe('declareOptions', () => {
  it('reads with no `where` and no extra names by default', () => {
    expect(declared.read({ alpha: 1 })).toEqual({ alpha: 1, beta: undefined });
    const error = errorOf(() => declared.read({ gamma: 1 }));
    expect(error.option).toBe('gamma');
    expect(error.message).toBe('sluice: option `gamma` is not a known option; known options: alpha, beta; got 1');
  });

  it('rejectUnknown has no `where` and no extra names by default', () => {
    const error = errorOf(() => declared.rejectUnknown({ gamma: 1 }));
    expect(error.option).toBe('gamma');
    expect(error.message).toBe('sluice: option `gamma` is not a known option; known options: alpha, beta; got 1');
    expect(() => declared.rejectUnknown({ gamma: 1 }, 'denyCache', ['gamma'])).not.toThrow();
  });

  it('refuses options that are not an object, naming `options` or the `where` path', () => {
    const error = errorOf(() => declared.read(null));
    expect(error.option).toBe('options');
    expect(error.message).toBe('sluice: option `options` must be an object; got null');
    const nested = errorOf(() => declared.read(5, 'denyCache'));
    expect(nested.option).toBe('denyCache');
    expect(nested.message).toBe('sluice: option `denyCache` must be an object; got 5');
  });
});

describe('rejectUnknownOptions', () => {
  it('names one unknown option by itself (no `where` by default) with the known ones', () => {
    const error = errorOf(() => rejectUnknownOptions({ gamma: 2 }, ['alpha', 'beta']));
    expect(error.option).toBe('gamma');
    expect(error.message).toBe('sluice: option `gamma` is not a known option; known options: alpha, beta; got 2');
    expect(errorOf(() => rejectUnknownOptions({ alpah: 2 }, ['alpha'], 'limits[0]')).message).toBe(
      'sluice: option `limits[0].alpah` is not a known option (did you mean `alpha`?); known options: alpha; got 2',
    );
  });

  it('names two or three unknown options in full, each with its hint, then the known ones', () => {
    const error = errorOf(() => rejectUnknownOptions({ gamma: 1, alpah: 2 }, ['alpha', 'beta'], 'x', { max: 'capacity' }));
    expect(error.option).toBe('x.gamma, x.alpah');
    expect(error.value).toEqual(['gamma', 'alpah']);
    expect(error.message).toBe(
      'sluice: options `x.gamma`, `x.alpah` are not known options (`gamma`: not a known option; `alpah`: did you mean `alpha`?); known options: alpha, beta',
    );
    expect(errorOf(() => rejectUnknownOptions({ max: 1, gamma: 1, delta: 1 }, ['alpha'], '', { max: 'capacity' })).message).toBe(
      "sluice: options `max`, `gamma`, `delta` are not known options (`max`: another library's option: capacity; `gamma`: not a known option; `delta`: not a known option); known options: alpha",
    );
  });

  it('lists the first three unknown options and counts the others', () => {
    const names = ['gamma', 'delta', 'omega', 'sigma', 'theta'];
    expect(errorOf(() => rejectUnknownOptions(optionsWith(names.slice(0, 4)), ['alpha'])).message).toMatch(
      /^sluice: options `gamma`, `delta`, `omega`, 1 more are not known options \(/,
    );
    expect(errorOf(() => rejectUnknownOptions(optionsWith(names), ['alpha'])).message).toMatch(
      /^sluice: options `gamma`, `delta`, `omega`, 2 more are not known options \(`gamma`: not a known option; `delta`: not a known option; `omega`: not a known option; `sigma`: not a known option; `theta`: not a known option\); known options: alpha$/,
    );
  });

  it('suggests the first of equally close known names, and no name more than 2 edits away', () => {
    expect(errorOf(() => rejectUnknownOptions({ limt: 1 }, ['limit', 'lim'])).message).toContain('(did you mean `limit`?)');
    expect(errorOf(() => rejectUnknownOptions({ limt: 1 }, ['lim', 'limit'])).message).toContain('(did you mean `lim`?)');
    expect(errorOf(() => rejectUnknownOptions({ abcdefg: 1 }, ['abcd'])).message).toBe(
      'sluice: option `abcdefg` is not a known option; known options: abcd; got 1',
    );
    expect(errorOf(() => rejectUnknownOptions({ abcdef: 1 }, ['abcd'])).message).toContain('(did you mean `abcd`?)');
  });

  it('ends the hints with … where the next would pass the bound, and drops the known names when they would', () => {
    const long = 'c'.repeat(700);
    expect(errorOf(() => rejectUnknownOptions({ max: 1, gamma: 1 }, ['alpha'], '', { max: long })).message).toBe(
      'sluice: options `max`, `gamma` are not known options (…); known options: alpha',
    );
    const halfway = 'c'.repeat(300);
    expect(errorOf(() => rejectUnknownOptions({ gamma: 1, max: 1 }, ['alpha'], '', { max: `${halfway}` })).message).toBe(
      `sluice: options \`gamma\`, \`max\` are not known options (\`gamma\`: not a known option; \`max\`: another library's option: ${halfway}); known options: alpha`,
    );
    const known = Array.from({ length: 100 }, (_, i) => `known${i}`);
    expect(errorOf(() => rejectUnknownOptions({ gamma: 1, delta: 1 }, known)).message).toBe(
      'sluice: options `gamma`, `delta` are not known options (`gamma`: not a known option; `delta`: not a known option)',
    );
  });

  it('keeps a hint that brings the message to exactly the bound, and not one that passes it', () => {
    const names = ['gamma', 'delta'];
    const head = 'sluice: options `gamma`, `delta` are not known options';
    const first = '`gamma`: not a known option';
    // `${head} (${first}; `delta`: another library's option: ${peer}; …)` is the length checked.
    const fixed = `${head} (${first}; \`delta\`: another library's option: ; …)`.length;
    const fits = 'p'.repeat(MAX_MESSAGE_LENGTH - fixed);
    expect(errorOf(() => rejectUnknownOptions(optionsWith(names), ['alpha'], '', { delta: fits })).message).toBe(
      `${head} (${first}; \`delta\`: another library's option: ${fits})`,
    );
    const over = `${fits}p`;
    expect(errorOf(() => rejectUnknownOptions(optionsWith(names), ['alpha'], '', { delta: over })).message).toBe(
      `${head} (${first}; …); known options: alpha`,
    );
  });

  it('keeps the known names when they bring the message to exactly the bound, and not when they pass it', () => {
    const head = 'sluice: options `gamma`, `delta` are not known options (`gamma`: not a known option; `delta`: not a known option)';
    const room = MAX_MESSAGE_LENGTH - `${head}; known options: `.length;
    const exact = ['k'.repeat(room)];
    expect(errorOf(() => rejectUnknownOptions({ gamma: 1, delta: 1 }, exact)).message).toBe(`${head}; known options: ${exact[0]}`);
    expect(errorOf(() => rejectUnknownOptions({ gamma: 1, delta: 1 }, [`${exact[0]}k`])).message).toBe(head);
  });

  it('several unknown options: the message never passes the bound and always names the first of them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 60 }),
        fc.integer({ min: 5, max: 80 }),
        fc.integer({ min: 0, max: 120 }),
        fc.string({ maxLength: 20 }),
        (count, length, knownCount, where) => {
          const names = strangers(count, length);
          const known = Array.from({ length: knownCount }, (_, i) => `known${i}`);
          const error = errorOf(() => rejectUnknownOptions(optionsWith(names), known, where));
          expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
          expect(error.message).toContain(`\`${(where ? `${where}.${names[0]}` : (names[0] as string)).slice(0, 50)}`);
          expect(error.message).toContain(count > 3 ? `, ${count - 3} more are not known options` : ' are not known options');
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });
});
