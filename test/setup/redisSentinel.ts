/**
 * A Sentinel-managed Redis for the failover tests: a primary, one replica and three `redis-sentinel` processes on
 * free loopback ports (quorum 2, the primary judged down after 1 s), each started and stopped by PID.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, type RedisEndpoint, type RedisServer, startRedisServer } from './redisServers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The name the sentinels monitor the primary under. */
export const SENTINEL_MASTER_NAME = 'mymaster';

export interface SentinelGroup {
  primary: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** The sentinels' endpoints, as clients take them. */
  sentinelEndpoints: RedisEndpoint[];
  /** Stops every process still running (SIGKILL). */
  stop(): Promise<void>;
}

/** True when `redis-sentinel` can be run. */
export function sentinelAvailable(): boolean {
  return spawnSync('redis-sentinel', ['--version']).status === 0;
}

export async function startSentinelGroup(): Promise<SentinelGroup> {
  const started: RedisServer[] = [];
  try {
    // No delay before the replica's first full sync (the default waits 5 s for more replicas to share it).
    const primary = await startRedisServer({ args: ['--repl-diskless-sync-delay', '0'] });
    started.push(primary);
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    started.push(replica);
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), `sluice-sentinel-${port}-`));
      const config = join(dir, 'sentinel.conf');
      writeFileSync(
        config,
        [
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 3000`,
          '',
        ].join('\n'),
      );
      const sentinel = await startRedisServer({ port, dir, sentinelConfig: config });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    return {
      primary,
      replica,
      sentinels,
      sentinelEndpoints: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      stop: async () => {
        await Promise.all(started.map((s) => s.stop(true)));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop(true)));
    throw error;
  }
}

/** Waits until the replica is in sync and every sentinel knows it and the two other sentinels, so that they can fail over. */
export async function sentinelsReady(group: SentinelGroup): Promise<void> {
  const deadline = Date.now() + 30_000;
  const replica = new Redis({ host: '127.0.0.1', port: group.replica.port, lazyConnect: true });
  try {
    while (!(await replica.info('replication')).includes('master_link_status:up')) {
      if (Date.now() > deadline) throw new Error('the replica did not sync with the primary');
      await sleep(100);
    }
  } finally {
    replica.disconnect();
  }
  for (const endpoint of group.sentinelEndpoints) {
    const sentinel = new Redis({ ...endpoint, lazyConnect: true });
    try {
      for (;;) {
        const flat = (await sentinel.call('SENTINEL', 'MASTER', SENTINEL_MASTER_NAME)) as string[];
        const info = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) info.set(flat[i] as string, flat[i + 1] as string);
        if (info.get('num-slaves') === '1' && info.get('num-other-sentinels') === '2') break;
        if (Date.now() > deadline) throw new Error(`sentinel ${endpoint.port} not ready: ${JSON.stringify([...info])}`);
        await sleep(100);
      }
    } finally {
      sentinel.disconnect();
    }
  }
}
