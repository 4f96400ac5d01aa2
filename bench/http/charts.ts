/** bench:http's charts in bench/results.svg: per framework and scenario, each contender's throughput relative to the bare server. */
import { type Bar, barChart, type ChartSpec } from '../lib/charts.js';
import { signed } from '../lib/markdown.js';
import type { HttpBenchResult } from './bench.js';

export function httpCharts(http: HttpBenchResult): ChartSpec[] {
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
          note: contender.baseline ? '1' : `${figures.reqPerSecRatio.median.toFixed(2)}× (${signed(figures.addedCpuUs.median, 1)} µs CPU)`,
        }),
      ),
      reference: { value: 1, label: 'bare' },
    });
  });
}
