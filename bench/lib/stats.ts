/**
 * The statistics every benchmark uses. The machine is shared and noisy, so a figure is a median over
 * rounds (taken in rotation) with its range, and per-request times are summed up by their median, a
 * trimmed mean and an upper quantile. An empty sample gives NaN (shown as "–" in a table) where simple-statistics throws:
 * a case that did not run must not stop the report of the others.
 */
import { max as maxOf, mean as meanOf, medianSorted, min as minOf } from 'simple-statistics';

/** Median and range over rounds. */
export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

const ascending = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);

export function median(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : medianSorted(ascending(values));
}

export function stat(values: readonly number[]): Stat {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  // min/max of simple-statistics loop, where Math.min(...values) would overflow the stack on a large sample.
  return { median: median(values), min: minOf([...values]), max: maxOf([...values]) };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : meanOf([...values]);
}

/** The mean of `sorted` (ascending) after cutting `share` of the values from each end. */
export function trimmedMean(sorted: readonly number[], share: number): number {
  const cut = Math.floor(sorted.length * share);
  return mean(sorted.slice(cut, sorted.length - cut));
}

/**
 * The value at rank ⌊q·n⌋ of `sorted` (ascending): a time that was observed, never one interpolated
 * between two, so a p99 over a few outliers shows an outlier (simple-statistics' quantile interpolates).
 */
export function upperQuantile(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
}

/** The upper quantile of an unsorted sample. */
export const quantileOf = (values: readonly number[], q: number): number => upperQuantile(ascending(values), q);

/** `items` rotated left by `by` places: round r starts with another contender, so no one always goes first. */
export function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const shift = ((by % items.length) + items.length) % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}
