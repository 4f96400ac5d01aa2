/** bench:redis's charts in bench/results.svg. */
import { type Bar, barChart, type ChartSpec, isSluice } from '../lib/charts.js';
import { IN_FLIGHT, type RedisResults } from './results.js';

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
