import { parseDecimal, reduce } from './decimalFraction.js';
import { SluiceConfigError } from './errors.js';

/** A duration: milliseconds as a number, or a number with a unit, e.g. `'500ms'`, `'1s'`, `'1.5m'`, `'1h'`, `'1d'`. */
export type Duration = number | `${number}${DurationUnit}` | `${number} ${DurationUnit}`;
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h|d)\s*$/;

/** Parses a {@link Duration} into milliseconds; throws a SluiceConfigError naming `option` when it is not a positive, finite duration. */
export function parseDuration(value: unknown, option: string): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value);
    if (!match) {
      throw new SluiceConfigError(option, value, "must be milliseconds as a number or a string like '500ms', '1s', '1m', '1h', '1d'");
    }
    // Exactly: '1.005s' is 1005 ms, where 1.005 * 1000 would be 1004.9999999999999.
    const amount = parseDecimal(match[1] as string);
    const { numerator, denominator } = reduce(
      (amount?.numerator ?? 0n) * BigInt(UNIT_MS[match[2] as DurationUnit]),
      amount?.denominator ?? 1n,
    );
    ms = Number(numerator) / Number(denominator);
  } else {
    throw new SluiceConfigError(option, value, "must be milliseconds as a number or a string like '500ms', '1s', '1m', '1h', '1d'");
  }
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new SluiceConfigError(option, value, 'must be a positive, finite duration');
  }
  return ms;
}
