/**
 * The combined benchmark report: reads bench/results/{core,redis,http}.json (written by the three
 * benchmarks) and draws bench/results.svg, the charts README embeds.
 */
import type { HttpBenchResult } from './httpBench.js';
import { type Bar, barChart, type Chart } from './svgChart.js';

export interface CoreResults {
  readonly node: string;
  readonly cores: number;
  readonly rounds: number;
  readonly memoryKeys: number;
  readonly contenders: readonly {
    readonly name: string;
    readonly opsPerSec: Readonly<Record<string, { median: number; min: number; max: number }>>;
    readonly bytesPerKey: number | null;
  }[];
}

export interface RedisResults {
  readonly redisVersion: string;
  readonly rounds: number;
  readonly rows: readonly {
    readonly scenario: string;
    readonly library: string;
    readonly decisionsPerSec: { median: number; min: number; max: number };
    readonly cpuUsPerDecision: number;
    readonly roundTripsPerDecision: number;
    readonly bytesPerKey: number;
  }[];
}

const isSluice = (name: string) => name.toLowerCase().includes('sluice');

export function coreCharts(core: CoreResults): Chart[] {
  const scenarios = Object.keys(core.contenders[0]?.opsPerSec ?? {});
  const speed = scenarios.map((scenario) =>
    barChart({
      title: `Core: in-memory decisions, ${scenario} (median of ${core.rounds} rounds)`,
      axisLabel: 'decisions per CPU-second (millions)',
      bars: core.contenders.map(
        (c): Bar => ({
          label: c.name,
          value: (c.opsPerSec[scenario]?.median ?? 0) / 1e6,
          highlight: isSluice(c.name),
        }),
      ),
    }),
  );
  const memory = barChart({
    title: `Core: memory per key at ${core.memoryKeys.toLocaleString('en-US')} keys (lower is better)`,
    axisLabel: 'bytes per key (V8 heap + ArrayBuffers, key strings excluded)',
    bars: core.contenders
      .filter((c) => c.bytesPerKey !== null && !c.name.includes('async') && c.name !== 'sluice consumeSync')
      .map(
        (c): Bar => ({
          label: c.name === 'sluice consume' ? 'sluice MemoryStore' : c.name,
          value: c.bytesPerKey ?? 0,
          highlight: isSluice(c.name),
        }),
      ),
  });
  return [...speed, memory];
}

export function redisCharts(redis: RedisResults): Chart[] {
  const scenarios = [...new Set(redis.rows.map((r) => r.scenario))];
  return scenarios.map((scenario) =>
    barChart({
      title: `Redis store: decisions per second, ${scenario} (50 in flight, one connection)`,
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

export function httpCharts(http: HttpBenchResult): Chart[] {
  return http.groups.map((group) => {
    const bare = group.contenders.find((c) => c.contender.baseline)?.contender.label ?? 'bare';
    return barChart({
      title: `HTTP: throughput relative to ${bare}, ${group.scenario}`,
      axisLabel: `req/s ÷ req/s of ${bare} (same run; 1 = no overhead)`,
      bars: group.contenders.map(
        ({ contender, figures }): Bar => ({
          label: contender.label,
          value: contender.baseline ? 1 : figures.reqPerSecRatio.median,
          highlight: contender.library === 'sluice',
          note: contender.baseline ? '1' : `${figures.reqPerSecRatio.median.toFixed(2)}× (+${figures.addedCpuUs.median.toFixed(1)} µs CPU)`,
        }),
      ),
      reference: { value: 1, label: 'bare' },
    });
  });
}
