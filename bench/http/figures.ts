/** Turning the slices of a bench:http run into per-contender figures: medians over rounds, ratios to bare. */
import { type Stat, stat } from '../lib/stats.js';

/** One slice: one contender loaded by autocannon for about `seconds`. */
export interface SliceSample {
  readonly round: number;
  /** The contender this slice was paired with: its own id, or (for a bare slice) the contender it ran next to. */
  readonly pair: string;
  /** Responses completed in the slice. */
  readonly requests: number;
  readonly seconds: number;
  /** Server process CPU time (user + system) over the slice, µs. */
  readonly cpuMicros: number;
  readonly p99Ms: number;
  /** Responses other than 2xx (a refused request means the limits were too low for an overhead test). */
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
}

export interface ContenderFigures {
  readonly reqPerSec: Stat;
  readonly p99Ms: Stat;
  readonly cpuUsPerRequest: Stat;
  /** CPU µs per request minus the baseline's in the same round. */
  readonly addedCpuUs: Stat;
  /** req/s over the baseline's in the same round. */
  readonly reqPerSecRatio: Stat;
  /** CPU per request over the baseline's in the same round. */
  readonly cpuRatio: Stat;
  readonly non2xx: number;
  readonly errors: number;
}

export const reqPerSec = (sample: SliceSample) => sample.requests / sample.seconds;
export const cpuUsPerRequest = (sample: SliceSample) => sample.cpuMicros / sample.requests;

/**
 * Figures of one contender from its slices and the baseline's. Ratios are taken pair by pair (a
 * contender's slice and the bare slice run right next to it, in the same round, saw the same machine)
 * and then the median over rounds.
 */
export function contenderFigures(samples: readonly SliceSample[], baseline: readonly SliceSample[]): ContenderFigures {
  const paired = samples.flatMap((sample) => {
    const base = baseline.find((candidate) => candidate.round === sample.round && candidate.pair === sample.pair);
    return base && sample.requests > 0 && base.requests > 0 ? [{ sample, base }] : [];
  });
  const measured = samples.filter((sample) => sample.requests > 0);
  return {
    reqPerSec: stat(measured.map(reqPerSec)),
    p99Ms: stat(measured.map((sample) => sample.p99Ms)),
    cpuUsPerRequest: stat(measured.map(cpuUsPerRequest)),
    addedCpuUs: stat(paired.map(({ sample, base }) => cpuUsPerRequest(sample) - cpuUsPerRequest(base))),
    reqPerSecRatio: stat(paired.map(({ sample, base }) => reqPerSec(sample) / reqPerSec(base))),
    cpuRatio: stat(paired.map(({ sample, base }) => cpuUsPerRequest(sample) / cpuUsPerRequest(base))),
    non2xx: samples.reduce((sum, sample) => sum + sample.non2xx, 0),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
  };
}
