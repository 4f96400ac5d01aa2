/**
 * Figures of bench:http:inprocess from the per-request times: per arm and round the median, a trimmed
 * mean and p99; per arm the median over rounds of (arm − bare) in the same round. Arms share every
 * round request by request, so a round's differences are free of the machine's swings between rounds.
 */
import { mean, median, type Stat, stat, trimmedMean, upperQuantile } from '../lib/stats.js';
import type { ArmId } from './arms.js';

/** Share of requests cut from each end for the trimmed mean: drops the GC pauses and preemptions that land on a request. */
export const TRIM = 0.01;

/** One arm in one round, in µs per request. */
export interface ArmRound {
  readonly count: number;
  readonly median: number;
  /** Mean of the requests left after cutting TRIM from each end. */
  readonly trimmedMean: number;
  /** Plain mean (GC pauses and preemptions included, so noisier). */
  readonly mean: number;
  readonly p99: number;
  readonly unfinished: number;
  readonly non2xx: number;
  readonly headerMismatches: number;
}

export interface ArmFigures {
  readonly id: ArmId;
  readonly rounds: readonly ArmRound[];
  /** Requests measured over all rounds. */
  readonly count: number;
  readonly unfinished: number;
  readonly non2xx: number;
  readonly headerMismatches: number;
  /** Over rounds: the per-round figure of this arm, µs. */
  readonly median: Stat;
  readonly trimmedMean: Stat;
  readonly p99: Stat;
  /** Over rounds: this arm's figure minus the baseline's in the same round, µs. */
  readonly addedTrimmedMean: Stat;
  readonly addedMedian: Stat;
  readonly addedMean: Stat;
}

/** The figures of one arm's round from its per-request times in ns. */
export function armRound(
  timesNs: Float64Array,
  counts: { readonly unfinished: number; readonly non2xx: number; readonly headerMismatches: number },
): ArmRound {
  const sorted = Array.from(Float64Array.from(timesNs, (ns) => ns / 1000).sort());
  return {
    count: sorted.length,
    median: median(sorted),
    trimmedMean: trimmedMean(sorted, TRIM),
    mean: mean(sorted),
    p99: upperQuantile(sorted, 0.99),
    unfinished: counts.unfinished,
    non2xx: counts.non2xx,
    headerMismatches: counts.headerMismatches,
  };
}

/** Per-arm figures from the rounds of every arm (same number of rounds each, in the same order). */
export function armFigures(rounds: ReadonlyMap<ArmId, readonly ArmRound[]>, baseline: ArmId): ArmFigures[] {
  const base = rounds.get(baseline) ?? [];
  const added = (own: readonly ArmRound[], pick: (round: ArmRound) => number) =>
    stat(own.flatMap((round, i) => (base[i] === undefined ? [] : [pick(round) - pick(base[i] as ArmRound)])));
  const sum = (own: readonly ArmRound[], pick: (round: ArmRound) => number) => own.reduce((total, round) => total + pick(round), 0);
  return [...rounds].map(([id, own]) => ({
    id,
    rounds: own,
    count: sum(own, (r) => r.count),
    unfinished: sum(own, (r) => r.unfinished),
    non2xx: sum(own, (r) => r.non2xx),
    headerMismatches: sum(own, (r) => r.headerMismatches),
    median: stat(own.map((r) => r.median)),
    trimmedMean: stat(own.map((r) => r.trimmedMean)),
    p99: stat(own.map((r) => r.p99)),
    addedTrimmedMean: added(own, (r) => r.trimmedMean),
    addedMedian: added(own, (r) => r.median),
    addedMean: added(own, (r) => r.mean),
  }));
}
