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
  /** Per scenario: sluice's decisions/s over the faster peer's, per round, and its redis-server CPU per decision over that peer's. */
  readonly ratios: Readonly<Record<string, Stat & { readonly cpu: number }>>;
}

/** Calls each library has in flight on its one connection. */
export const IN_FLIGHT = 50;
