import { parseDecimal, reduce } from './decimalFraction.js';
import { SluiceConfigError } from './errors.js';

/** The unit words a duration may use, as the `ms` package (and so @fastify/rate-limit's `timeWindow`) spells them. */
const UNITS = {
  ms: 1,
  msec: 1,
  msecs: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
  // The `ms` package's year: 365.25 days.
  y: 31_557_600_000,
  yr: 31_557_600_000,
  yrs: 31_557_600_000,
  year: 31_557_600_000,
  years: 31_557_600_000,
} as const;

/**
 * A unit word of a {@link Duration}, in any case: `ms`, `s`, `sec`, `second(s)`, `m`, `min`, `minute(s)`, `h`, `hr`,
 * `hour(s)`, `d`, `day(s)`, `w`, `week(s)`, `y`, `yr`, `year(s)` (365.25 days), as the `ms` package reads them.
 */
export type DurationUnit = keyof typeof UNITS;
type AnyCaseUnit = DurationUnit | Uppercase<DurationUnit> | Capitalize<DurationUnit>;

/**
 * A duration: milliseconds as a number, or a positive decimal with a unit, with or without a space (at run time a
 * decimal string without a unit is ms too, as the `ms` package reads it):
 * `'500ms'`, `'1s'`, `'1.5m'`, `'1 minute'`, `'2 hours'`, `'30 seconds'`, `'1 day'`, `'1w'`, `'1 year'`.
 */
export type Duration = number | `${number}${AnyCaseUnit}` | `${number} ${AnyCaseUnit}`;

/** A sign, a decimal and a unit word or none (ms), as the `ms` package reads a string. */
const DURATION_PATTERN = /^\s*(-?)(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i;
const EXPECTED = "must be milliseconds as a number or a string like '500ms', '30 seconds', '1m', '15 minutes', '2 hours', '1 day', '1w'";
const NOT_POSITIVE = 'must be a positive, finite duration';

/**
 * Parses a {@link Duration} into milliseconds; throws a SluiceConfigError naming `option` (default `duration`) when it
 * is not a positive, finite duration.
 */
export function parseDuration(value: unknown, option = 'duration'): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value);
    // No unit is ms, as in the `ms` package: '60000' (from an environment variable, say) is a minute.
    const unit = match?.[3]?.toLowerCase() || 'ms';
    if (!match || !Object.hasOwn(UNITS, unit)) throw new SluiceConfigError(option, value, EXPECTED);
    if (match[1] === '-') throw new SluiceConfigError(option, value, NOT_POSITIVE);
    // Exactly: '1.005s' is 1005 ms, where 1.005 * 1000 would be 1004.9999999999999.
    const amount = parseDecimal(match[2] as string);
    const { numerator, denominator } = reduce((amount?.numerator ?? 0n) * BigInt(UNITS[unit as DurationUnit]), amount?.denominator ?? 1n);
    ms = Number(numerator) / Number(denominator);
  } else {
    throw new SluiceConfigError(option, value, EXPECTED);
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new SluiceConfigError(option, value, NOT_POSITIVE);
  }
  return ms;
}
