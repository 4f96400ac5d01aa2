/**
 * `npm run mutate`: StrykerJS over every module of src/ and adapters/, one part at a time (scripts/mutation-partitions.json),
 * then one report of all parts (reports/mutation/mutation.json) and the per-module check of
 * scripts/mutation-scores.ts (exit 1 when a module scores below 85%).
 *
 *   npm run mutate                      every part
 *   npm run mutate -- --part core,http  only these parts (the report still merges every part's last run)
 *
 * Each part keeps an incremental file (reports/incremental/<part>.json, committed): a rerun tests only the mutants
 * whose code or covering tests changed since.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printScores } from './mutation-scores.js';

interface Part {
  readonly name: string;
  readonly mutate: readonly string[];
  readonly tests: string;
}

/** The part of the mutation-testing-report schema merged here: everything else is the first report's. */
interface Report {
  files: Record<string, unknown>;
  testFiles?: Record<string, unknown>;
  [field: string]: unknown;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { parts } = JSON.parse(readFileSync(join(root, 'scripts', 'mutation-partitions.json'), 'utf8')) as { parts: Part[] };
const reportOf = (part: Part) => join(root, 'reports', 'mutation', `${part.name}.json`);

/** The parts named by `--part` (all when absent); throws on a name that is not a part. */
function chosenParts(option: string | undefined): Part[] {
  if (option === undefined) return parts;
  const names = option.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!parts.some((part) => part.name === name)) {
      throw new Error(`--part: ${JSON.stringify(name)} is not a part; the parts are ${parts.map((part) => part.name).join(', ')}`);
    }
  }
  return parts.filter((part) => names.includes(part.name));
}

/**
 * Drops the absolute project path StrykerJS writes into an incremental file, which is committed: the file is read by
 * relative paths, and the path of one machine has no place in the repository.
 */
function withoutProjectRoot(incrementalFile: string): void {
  if (!existsSync(incrementalFile)) return;
  const report = JSON.parse(readFileSync(incrementalFile, 'utf8')) as Report;
  if (report.projectRoot === undefined) return;
  delete report.projectRoot;
  writeFileSync(incrementalFile, JSON.stringify(report));
}

/** One report of every part that has one: the files (and test files) of each. */
export function mergeReports(reports: readonly Report[]): Report {
  const [first] = reports;
  if (first === undefined) throw new Error('no part has a mutation report yet: run `npm run mutate`');
  const merged: Report = { ...first, files: {}, testFiles: {} };
  for (const report of reports) {
    Object.assign(merged.files, report.files);
    Object.assign(merged.testFiles as Record<string, unknown>, report.testFiles ?? {});
  }
  return merged;
}

function main(): void {
  const { values } = parseArgs({ options: { part: { type: 'string' } } });
  let failed = false;
  for (const part of chosenParts(values.part)) {
    console.log(`\n=== mutation testing, part ${part.name}: ${part.mutate.join(', ')} (tests: ${part.tests}) ===\n`);
    const run = spawnSync('npx', ['stryker', 'run'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, SLUICE_MUTATION_PART: part.name },
    });
    if (run.status !== 0) {
      console.error(`part ${part.name}: StrykerJS exited with ${run.status ?? run.signal}`);
      failed = true;
    }
    withoutProjectRoot(join(root, 'reports', 'incremental', `${part.name}.json`));
  }
  const reports = parts
    .filter((part) => existsSync(reportOf(part)))
    .map((part) => JSON.parse(readFileSync(reportOf(part), 'utf8')) as Report);
  writeFileSync(join(root, 'reports', 'mutation', 'mutation.json'), JSON.stringify(mergeReports(reports)));
  const scoresPassed = printScores(join(root, 'reports', 'mutation', 'mutation.json'));
  process.exit(failed || !scoresPassed ? 1 : 0);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
