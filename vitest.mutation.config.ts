import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suite as mutation testing runs it (`npm run mutate`), for one part of the tree: SLUICE_MUTATION_TESTS names
 * the test set of the part being mutated (scripts/mutation-partitions.json).
 * - `unit`: the tests of the algorithm, the limiter and the memory store (real Redis only where a file compares
 *   the stores);
 * - `http`: those and the tests through real Express and Fastify apps;
 * - `redis`: the unit tests and the Redis store's own, against real servers (standalone and Cluster).
 * Never the tests that time benchmarks, pack the package or type-check the documentation in child processes (they
 * cannot see a mutant of src/), nor the Sentinel failover suite, which times a failover of real servers that the
 * instrumented run stretches past its bounds.
 */
const ALWAYS_OUT = [
  '**/node_modules/**',
  'test/bench*.test.ts',
  'test/dualPackage.test.ts',
  'test/markdown*.test.ts',
  'test/memoryBound.test.ts',
  'test/redisSentinel.test.ts',
];
const HTTP_TESTS = [
  'test/adapterChecks.test.ts',
  'test/express*.test.ts',
  'test/fastify*.test.ts',
  'test/httpEdge.test.ts',
  'test/http/delayAndPlans.test.ts',
  'test/http/finalCostAndBlocked.test.ts',
  'test/http/loginExample.test.ts',
  'test/http/migration.test.ts',
  'test/http/outsideFindings.test.ts',
  'test/http/requestPath.test.ts',
  'test/http/settlement.test.ts',
  'test/http/delayHolding.test.ts',
  'test/http/callbackResults.test.ts',
  'test/http/callbackThenables.test.ts',
  'test/http/refusalBody.test.ts',
  'test/http/allowListForms.test.ts',
  'test/http/unreadableNestedOptions.test.ts',
];
const REDIS_TESTS = ['test/redis*.test.ts', 'test/decideBatchScript.test.ts'];

const OUT_BY_SET: Record<string, string[]> = {
  unit: [...HTTP_TESTS, ...REDIS_TESTS],
  http: REDIS_TESTS,
  redis: HTTP_TESTS,
};

const testSet = process.env.SLUICE_MUTATION_TESTS ?? 'http';
const out = OUT_BY_SET[testSet];
if (out === undefined) throw new Error(`SLUICE_MUTATION_TESTS must be one of ${Object.keys(OUT_BY_SET).join(', ')}, not ${testSet}`);

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...ALWAYS_OUT, ...out],
      // Added to the base config's setup files (mergeConfig joins the arrays).
      setupFiles: ['test/setup/fetchDeadline.ts'],
      // Instrumented code under a busy machine can push a Redis call past a limiter's 100 ms timeout: a test that
      // fails that way passes on a rerun, while one that sees a mutant fails every time.
      retry: 2,
      // Instrumented code runs several times slower; the per-mutant timeout is Stryker's, from the initial run.
      testTimeout: 120_000,
      // Tests that scale a flood, and the property tests (test/setup/propertyRuns.ts), read this.
      env: { SLUICE_MUTATION: '1' },
    },
  }),
);
