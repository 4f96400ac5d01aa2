/**
 * The results writer: each benchmark's machine-readable result in bench/results/<id>.json (read back
 * by the combined report and the soak), and its section of bench/RESULTS.md, which only that
 * benchmark rewrites.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BENCH_DIR, RESULTS_DIR } from './paths.js';

export const RESULTS_MD = `${BENCH_DIR}RESULTS.md`;
const HEADER = '# Benchmark results\n\nWritten by the scripts in `bench/`; each section says the command that reproduces it.\n';

/** Replaces (or appends) the section `id` of bench/RESULTS.md with `markdown`. */
export function writeResultsSection(id: string, markdown: string): void {
  const start = `<!-- ${id}:start -->`;
  const end = `<!-- ${id}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const current = existsSync(RESULTS_MD) ? readFileSync(RESULTS_MD, 'utf8') : HEADER;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS_MD, next);
}

/** Writes `bench/results/<id>.json`. */
export function writeResultsJson(id: string, data: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}${id}.json`, `${JSON.stringify(data, null, 2)}\n`);
}

/** Reads `bench/results/<id>.json`, or undefined when that benchmark has not been run. */
export function readResultsJson<T>(id: string): T | undefined {
  const path = `${RESULTS_DIR}${id}.json`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** Writes a file of bench/ (a chart), given its name there. */
export function writeBenchFile(name: string, content: string): void {
  writeFileSync(`${BENCH_DIR}${name}`, content);
}
