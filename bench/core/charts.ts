/** bench:core's charts in bench/results.svg. */
import { type Bar, barChart, type ChartSpec, isSluice } from '../lib/charts.js';
import type { CoreResults } from './results.js';

export function coreCharts(core: CoreResults): ChartSpec[] {
  const scenarios = Object.keys(core.contenders[0]?.opsPerSec ?? {});
  const speed = scenarios.map((scenario) =>
    barChart({
      title: `Core: in-memory decisions, ${scenario} (median of ${core.rounds} rounds)`,
      axisLabel: 'decisions per CPU-second (millions)',
      bars: core.contenders.map(
        (c): Bar => ({ label: c.name, value: (c.opsPerSec[scenario]?.median ?? 0) / 1e6, highlight: isSluice(c.name) }),
      ),
    }),
  );
  // One bar per store: the sync and async flavours of a contender hold the same keys.
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
