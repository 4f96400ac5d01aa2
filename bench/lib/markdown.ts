/** Markdown for RESULTS.md: tables and the number formats of their cells. */
import type { Stat } from './stats.js';

/** A markdown table with padded columns, as Biome formats it, so a rewritten section diffs only where figures changed. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (cell: string) => [...cell].length;
  const widths = header.map((cell, i) => Math.max(3, width(cell), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w + (cells[i] ?? '').length - width(cells[i] ?? ''))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `value` with `digits` decimals; "–" for a figure that was not measured (NaN). */
export const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** As `fixed`, with a sign: for differences from a baseline. */
export const signed = (value: number, digits: number): string =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}` : '–';

/** "median (min … max)". */
export const statRange = (s: Stat, digits: number, format: (value: number, digits: number) => string = fixed): string =>
  `${format(s.median, digits)} (${format(s.min, digits)} … ${format(s.max, digits)})`;
