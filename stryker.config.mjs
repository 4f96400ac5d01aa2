// @ts-check
/**
 * Mutation testing of src/ and adapters/, one part at a time (`npm run mutate` runs every part, see
 * scripts/mutate.ts; SLUICE_MUTATION_PART names the part when StrykerJS is run directly). Not part of .ci/run: it
 * takes long. Run it before closing a change to src/; scripts/mutation-scores.ts then checks that every module
 * scores ≥ 85%.
 */
import { readFileSync } from 'node:fs';

/** @type {{ parts: { name: string, mutate: string[], tests: string }[] }} */
const { parts } = JSON.parse(readFileSync(new URL('./scripts/mutation-partitions.json', import.meta.url), 'utf8'));
const name = process.env.SLUICE_MUTATION_PART ?? 'core';
const part = parts.find((candidate) => candidate.name === name);
if (part === undefined) throw new Error(`SLUICE_MUTATION_PART must be one of ${parts.map((p) => p.name).join(', ')}, not ${name}`);
// The test runners are child processes of this one: they inherit the part's test set (vitest.mutation.config.ts).
process.env.SLUICE_MUTATION_TESTS = part.tests;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: part.mutate,
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level code, run once at import) need the whole test set per mutant: thousands of runs of
  // minutes each. They are left out and counted apart (scripts/mutation-scores.ts reports them as excluded).
  ignoreStatic: true,
  // Committed, so that a rerun on a fresh clone after a small change tests only the mutants it touches.
  incremental: true,
  incrementalFile: `reports/incremental/${part.name}.json`,
  reporters: ['clear-text', 'html', 'json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${part.name}.json` },
  htmlReporter: { fileName: `reports/mutation/${part.name}.html` },
  clearTextReporter: { reportScoreTable: true, reportMutants: false },
  // The ≥ 85% per module is checked by scripts/mutation-scores.ts, not by a threshold over the whole run.
  thresholds: { high: 90, low: 85, break: null },
  // Half of these processes are type checkers, mostly idle once the mutants are checked; each test runner starts
  // its own Redis servers.
  concurrency: 4,
  // Beyond 1.5 × the covering tests' time in the initial run: a mutant that loops is cut off after this many ms.
  timeoutMS: 10_000,
  // The first, uninstrumented-timing run of the part's tests; on a busy machine it outlasts the default 5 minutes.
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
