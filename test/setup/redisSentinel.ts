/**
 * A Sentinel-managed Redis for the failover tests: a primary, one replica and three `redis-sentinel` processes on
 * free loopback ports (quorum 2, the primary judged down after 1 s), each started and stopped by PID.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RedisEndpoint, type RedisServer, startRedisServer } from './redisServers.js';

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
