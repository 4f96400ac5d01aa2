/** Command-line helpers shared by the benchmark scripts. */

/** `text` as an integer ≥ `min`, or `fallback` when the option was not given; a bad value names the option and the script. */
export function positiveInteger(script: string, name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${script}: --${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return value;
}
