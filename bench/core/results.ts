/** What bench:core records in bench/results/core.json (read back by the combined report and the soak). */
import type { Stat } from '../lib/stats.js';

export interface CoreResults {
  readonly quick: boolean;
  readonly node: string;
  readonly cores: number;
  readonly rounds: number;
  readonly memoryKeys: number;
  readonly contenders: readonly {
    readonly name: string;
    /** Per scenario: ops per CPU-second over rounds. */
    readonly opsPerSec: Readonly<Record<string, Stat>>;
    readonly bytesPerKey: number | null;
  }[];
}
