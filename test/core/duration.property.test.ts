/**
 * Durations as users bring them from @fastify/rate-limit and the `ms` package: every unit word, in any case,
 * with or without a space, read exactly; anything else refused with a SluiceConfigError naming the option.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';
import { SluiceConfigError } from '../../src/core/errors.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** The `ms` package's year. */
const YEAR = 365.25 * DAY;
/** The `ms` package's unit words and their length in ms. */
const UNIT_WORDS: Record<string, number> = {
  ms: 1, msec: 1, msecs: 1, millisecond: 1, milliseconds: 1,
  s: SECOND, sec: SECOND, secs: SECOND, second: SECOND, seconds: SECOND,
  m: MINUTE, min: MINUTE, mins: MINUTE, minute: MINUTE, minutes: MINUTE,
  h: HOUR, hr: HOUR, hrs: HOUR, hour: HOUR, hours: HOUR,
  d: DAY, day: DAY, days: DAY,
  w: WEEK, week: WEEK, weeks: WEEK,
  y: YEAR, yr: YEAR, yrs: YEAR, year: YEAR, years: YEAR,
}; // biome-ignore format: one line per unit

const casing = fc.constantFrom(
  (w: string) => w,
  (w: string) => w.toUpperCase(),
  (w: string) => w[0]?.toUpperCase() + w.slice(1),
);

describe('parseDuration', () => {
  it.each([
    ['1 minute', MINUTE],
    ['2 hours', 2 * HOUR],
    ['30 seconds', 30 * SECOND],
    ['15 minutes', 15 * MINUTE],
    ['1 min', MINUTE],
    ['500 ms', 500],
    ['1 day', DAY],
    ['1m', MINUTE],
    ['1.5 hours', 1.5 * HOUR],
    ['1.005s', 1005],
    ['1 Day', DAY],
    ['5 weeks', 5 * WEEK],
    ['1 year', 31_557_600_000],
    ['60000', 60_000],
    [' 1.5 ', 1.5],
    ['.5', 0.5],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text, 'interval')).toBe(ms);
  });

  it('reads every unit word, in any case, with or without spaces, exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.constantFrom(...Object.keys(UNIT_WORDS)),
        casing,
        fc.constantFrom('', ' ', '  '),
        (amount, unit, caseOf, space) => {
          const ms = parseDuration(`${amount}${space}${caseOf(unit)}`, 'interval');
          expect(ms).toBe(amount * (UNIT_WORDS[unit] as number));
        },
      ),
    );
  });

  it.each([
    ['1 fortnight'],
    ['2 months'],
    ['1 decade'],
    ['minute'],
    ['-1 minute'],
    ['1e3 ms'],
    ['0 seconds'],
    ['Infinity ms'],
    ['NaN s'],
    ['1 minute 30 seconds'],
    ['1,5 h'],
    ['constructor'],
    ['1 constructor'],
    [''],
  ])('refuses %o with the option and the value', (text) => {
    expect(() => parseDuration(text, 'interval')).toThrow(SluiceConfigError);
    expect(() => parseDuration(text, 'interval')).toThrow(/`interval`/);
  });

  it.each([['-1w'], ['-60000'], ['-0.5 s'], ['-0'], ['0'], ['0 ms'], ['0.0y']])(
    'refuses %o as not positive (the `ms` package reads a sign; a negative duration is no limit)',
    (text) => {
      expect(() => parseDuration(text, 'interval')).toThrow(
        `sluice: option \`interval\` must be a positive, finite duration; got "${text}"`,
      );
    },
  );

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [-1], [0], [null], [{}]])('refuses %o', (value) => {
    expect(() => parseDuration(value, 'timeWindow')).toThrow(/`timeWindow` must be/);
  });

  it.each([['1e-3s'], ['1e3'], [`${'9'.repeat(400)}s`], [-1], [{}]])(
    'called without an option name (as from JavaScript), refuses %o naming `duration`, not with a TypeError',
    (value) => {
      expect(() => (parseDuration as (value: unknown) => number)(value)).toThrow(SluiceConfigError);
      expect(() => (parseDuration as (value: unknown) => number)(value)).toThrow(/^sluice: option `duration` must be/);
    },
  );

  it('either reads any string as a positive, finite number of ms or throws a SluiceConfigError naming the option', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?[0-9.e]{0,6} ?[a-zA-Z]{0,12}$/)), (text) => {
        let ms: number;
        try {
          ms = parseDuration(text, 'interval');
        } catch (error) {
          expect(error).toBeInstanceOf(SluiceConfigError);
          expect((error as Error).message).toContain('`interval`');
          return;
        }
        expect(Number.isFinite(ms) && ms > 0).toBe(true);
      }),
    );
  });
});
