import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RateLimiterOptions } from '../src/index.js';
import { redisClusterNodes, redisOptions, uniquePrefix } from './setup/redisTarget.js';

const WORKER = fileURLToPath(new URL('./redisConcurrency.worker.ts', import.meta.url));
const PROCESSES = 4;
/** The client libraries each process may use (see the worker). */
const LIBRARIES = ['ioredis5', 'ioredis6', 'node-redis'] as const;
type Library = (typeof LIBRARIES)[number];
const CALLS = 1000;

/** Runs PROCESSES node processes, starts them together, and returns the allowed counts. */
async function race(
  library: Library,
  nodes: { host: string; port: number }[],
  cluster: boolean,
  limits: RateLimiterOptions,
): Promise<number[]> {
  const prefix = uniquePrefix('race');
  const workers = Array.from({ length: PROCESSES }, () =>
    fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, SLUICE_JOB: JSON.stringify({ library, nodes, cluster, prefix, calls: CALLS, limits }) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const message = (worker: (typeof workers)[number]) =>
    new Promise<{ allowed?: number; degraded?: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  await Promise.all(workers.map(message)); // all ready
  const results = workers.map(message);
  for (const worker of workers) worker.send('go');
  const reports = await Promise.all(results);
  for (const report of reports) expect(report.degraded).toBe(0);
  return reports.map((r) => r.allowed as number);
}

const oneBand: RateLimiterOptions = { capacity: 100, refillRate: 1, interval: '1d' };
const multiBand: RateLimiterOptions = {
  limits: [
    { capacity: 300, refillRate: 1, interval: '1d' },
    { capacity: 100, refillRate: 1, interval: '1d' },
  ],
};

const single = redisOptions();
const clusterNodes = redisClusterNodes();

describe.skipIf(single === undefined).each(LIBRARIES)(
  `exactness on %s: ${PROCESSES} processes × ${CALLS} concurrent consumes, capacity 100`,
  (library) => {
    it('admits exactly 100 (one band)', async () => {
      const allowed = await race(library, [single as { host: string; port: number }], false, oneBand);
      expect(allowed.reduce((a, b) => a + b, 0)).toBe(100);
    }, 60_000);

    it('admits exactly 100 (two bands, the second one the tighter)', async () => {
      const allowed = await race(library, [single as { host: string; port: number }], false, multiBand);
      expect(allowed.reduce((a, b) => a + b, 0)).toBe(100);
    }, 60_000);

    it.skipIf(clusterNodes === undefined)(
      'admits exactly 100 on Redis Cluster (two bands)',
      async () => {
        const allowed = await race(library, clusterNodes as { host: string; port: number }[], true, multiBand);
        expect(allowed.reduce((a, b) => a + b, 0)).toBe(100);
      },
      60_000,
    );
  },
);
