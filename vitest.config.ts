import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts a redis-server and a 3-master Redis Cluster for the run (stopped by PID at the end).
    globalSetup: ['test/setup/redisServers.ts'],
    // Captures process warnings instead of printing them; fails a test that leaves one unasserted.
    setupFiles: ['test/setup/warningGuard.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
