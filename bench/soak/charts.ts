/** The soak's charts (bench/soak.svg): responses per second through the Redis outage, and p99 latency with the Node heap. */
import { type ChartSpec, timeSeriesChart } from '../lib/charts.js';

/** One second of the outage phase, as the soak records it. */
export interface Second {
  t: number;
  allowed: number;
  denied: number;
  degraded: number;
  other: number;
  errors: number;
  p99: number;
  heapMb: number;
}

export function soakCharts(
  outage: { readonly rate: number; readonly seconds: readonly Second[] },
  plan: { readonly killAtSec: number; readonly restartAtSec: number },
): ChartSpec[] {
  const series = (name: string, color: string, value: (s: Second) => number) => ({
    name,
    color,
    points: outage.seconds.map((s) => [s.t, value(s)] as const),
  });
  const markers = [
    { x: plan.killAtSec, label: 'Redis killed' },
    { x: plan.restartAtSec, label: 'restarted' },
  ];
  return [
    timeSeriesChart({
      title: `Soak: Express + sluice + Redis at ${outage.rate} req/s (80% of max), Redis killed and restarted`,
      xLabel: 'time (s)',
      yLabel: 'responses per second',
      series: [
        series('allowed (200)', '#2ca02c', (s) => s.allowed),
        series('denied (429)', '#ff7f0e', (s) => s.denied),
        series('degraded (fallback)', '#d62728', (s) => s.degraded),
        series('errors / other', '#7f7f7f', (s) => s.errors + s.other),
      ],
      markers,
    }),
    timeSeriesChart({
      title: 'Soak: p99 latency and Node heap',
      xLabel: 'time (s)',
      yLabel: 'p99 (ms) / heap (MiB)',
      series: [series('p99 latency (ms)', '#9467bd', (s) => s.p99), series('heap used (MiB)', '#1f77b4', (s) => s.heapMb)],
      markers,
      height: 160,
    }),
  ];
}
