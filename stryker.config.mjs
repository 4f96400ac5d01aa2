// @ts-check
/**
 * Mutation testing of src/ and adapters/ (`npm run mutate`). Not part of .ci/run: it takes long. Run it
 * before closing a change to src/; scripts/mutation-scores.ts then checks that every module scores ≥ 85%.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: ['src/**/*.ts', 'adapters/**/*.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'html', 'json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  // The ≥ 85% per module is checked by scripts/mutation-scores.ts, not by a threshold over the whole run.
  thresholds: { high: 90, low: 85, break: null },
  // Half of these processes are type checkers, mostly idle once the mutants are checked; each test runner starts
  // its own Redis servers.
  concurrency: 4,
  timeoutMS: 30_000,
  // The first, uninstrumented-timing run of the whole suite; on a busy machine it outlasts the default 5 minutes.
  dryRunTimeoutMinutes: 30,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
