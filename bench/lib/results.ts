import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bench/RESULTS.md: one section per benchmark, each rewritten only by its own script. */
export const RESULTS_PATH = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const HEADER = '# Benchmark results\n\nWritten by the scripts in `bench/`; each section says the command that reproduces it.\n';

/** Replaces (or appends) the section `id` of bench/RESULTS.md with `markdown`. */
export function writeResultsSection(id: string, markdown: string): void {
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(RESULTS_PATH) ? readFileSync(RESULTS_PATH, 'utf8') : HEADER;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, next);
}

/** A markdown table from a header row and body rows. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Machine-readable results, `bench/results/<id>.json`, read by the combined report (`npm run bench`). */
export function writeResultsJson(id: string, data: unknown): void {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${id}.json`, `${JSON.stringify(data, null, 2)}\n`);
}

/** Reads `bench/results/<id>.json`, or undefined when that benchmark has not been run. */
export function readResultsJson<T>(id: string): T | undefined {
  const path = fileURLToPath(new URL(`./results/${id}.json`, import.meta.url));
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}
