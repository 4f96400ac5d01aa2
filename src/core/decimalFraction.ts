/**
 * Numbers given as limits, read as the decimals they are written as: `0.1` is one tenth (not the binary
 * double nearest to it), `1.5` is 3/2, `1e-7` is 1/10,000,000. Construction-time only (BigInt).
 */

/** An exact, non-negative fraction. */
export interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const DECIMAL = /^(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * The exact fraction a non-negative decimal string denotes (`'12.5'`, `'3e-4'`, `'.5'`), or undefined
 * when it is not one. The exponent is bounded so a hostile string cannot ask for a huge power of ten.
 */
export function parseDecimal(text: string): Fraction | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const whole = match[1] as string; // `(\d*)` takes part in every match, if only as ''
  const fractionDigits = match[2] ?? '';
  if (whole.length + fractionDigits.length === 0) return undefined;
  const exponent = Number(match[3] ?? '0') - fractionDigits.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined;
  const digits = BigInt(whole + fractionDigits);
  return exponent >= 0 ? { numerator: digits * 10n ** BigInt(exponent), denominator: 1n } : reduce(digits, 10n ** BigInt(-exponent));
}

/** The exact fraction of a positive finite number as it prints (its shortest round-trip decimal). */
export function decimalFraction(value: number): Fraction {
  return parseDecimal(String(value)) as Fraction;
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** numerator / denominator in lowest terms. */
export function reduce(numerator: bigint, denominator: bigint): Fraction {
  const divisor = gcd(numerator, denominator) || 1n;
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}
