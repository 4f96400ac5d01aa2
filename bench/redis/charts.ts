/** bench:redis's result as bench/results/redis.json holds it, and its charts in bench/results.svg. */
import { type Bar, barChart, type ChartSpec, isSluice } from '../lib/charts.js';
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

export function redisCharts(redis: RedisResults): ChartSpec[] {
  const scenarios = [...new Set(redis.rows.map((r) => r.scenario))];
  return scenarios.map((scenario) =>
    barChart({
      title: `Redis store: decisions per second, ${scenario} (${IN_FLIGHT} in flight, one connection)`,
      axisLabel: 'decisions per second (thousands)',
      bars: redis.rows
        .filter((r) => r.scenario === scenario)
        .map(
          (r): Bar => ({
            label: r.library,
            value: r.decisionsPerSec.median / 1e3,
            highlight: isSluice(r.library),
            note: `${(r.decisionsPerSec.median / 1e3).toFixed(0)}k, ${r.cpuUsPerDecision.toFixed(1)} µs CPU`,
          }),
        ),
    }),
  );
}
