/** What bench:redis records in bench/results/redis.json (read back by the combined report). */
import type { Stat } from '../lib/stats.js';

export interface RedisResults {
  readonly redisVersion: string;
  readonly rounds: number;
  readonly rows: readonly {
    readonly scenario: string;
    readonly library: string;
    readonly decisionsPerSec: Stat;
    readonly cpuUsPerDecision: number;
    readonly roundTripsPerDecision: number;
    readonly bytesPerKey: number | null;
  }[];
  /** Per scenario: sluice's decisions/s on ioredis over the faster peer's on ioredis, per round, and its redis-server CPU per decision over that peer's. */
  readonly ratios: Readonly<Record<string, Stat & { readonly cpu: number }>>;
  /** The same for sluice on an ioredis client with `enableAutoPipelining: true` (absent in older results). */
  readonly autoPipeliningRatios?: Readonly<Record<string, Stat & { readonly cpu: number }>>;
  /** Per scenario: the A/A twin's decisions/s over sluice's on ioredis defaults, per round (absent in older results). */
  readonly aaRatios?: Readonly<Record<string, Stat & { readonly cpu: number }>>;
  /**
   * Per scenario: sluice's decisions/s on node-redis over rate-limit-redis' on node-redis, per round, and its redis-server
   * CPU per decision over that peer's (absent in results of runs without the node-redis contenders).
   */
  readonly nodeRedisRatios?: Readonly<Record<string, Stat & { readonly cpu: number }>>;
}

/** Calls each library has in flight on its one connection. */
export const IN_FLIGHT = 50;
