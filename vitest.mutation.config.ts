import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The suite as mutation testing runs it (`npm run mutate`): without the tests that time benchmarks, pack the
 * package or type-check the documentation in child processes, which take long and cannot see a mutant of
 * src/. The Redis tests stay: the base config's global setup starts their servers.
 */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      // Also without the Sentinel failover suite: it times a failover of real servers, which the single-threaded,
      // instrumented run stretches past its bounds.
      exclude: [
        '**/node_modules/**',
        'test/bench*.test.ts',
        'test/dualPackage.test.ts',
        'test/markdown*.test.ts',
        'test/redisSentinel.test.ts',
      ],
      // Instrumented code under a busy machine can push a Redis call past a limiter's 100 ms timeout: a test that
      // fails that way passes on a rerun, while one that sees a mutant fails every time.
      retry: 2,
      // Instrumented code runs several times slower; the per-mutant timeout is Stryker's, from the initial run.
      testTimeout: 120_000,
      // Tests that scale a flood read this to keep each mutant's run short.
      env: { SLUICE_MUTATION: '1' },
    },
  }),
);
