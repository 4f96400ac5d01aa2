import { type Band, type BandCosts, msUntilFits } from './gcra.js';
import type { StoreResult } from './store.js';

/** One band's part of a decision (multi-band limiters only). */
export interface BandDecision {
  readonly limit: number;
  /** Whole tokens left (after the call when it was allowed), never negative. */
  readonly remaining: number;
  /** ms until `cost` tokens are there in this band; 0 when the call was allowed. */
  readonly retryAfterMs: number;
  /** ms until this band is full again. */
  readonly resetMs: number;
  /** The band's name from `limits[i].name`, if any. */
  readonly name: string | undefined;
  /** The band's compiled limit, for headers (capacity, refillRate, intervalMs). */
  readonly band: Band;
}

/** The answer to a call. */
export interface Decision {
  /** Whether the tokens were granted. */
  readonly allowed: boolean;
  /** Capacity of the band reported (the one closest to refusing). */
  readonly limit: number;
  /** Whole tokens left in that band after the call; never negative. */
  readonly remaining: number;
  /** 0 when allowed; otherwise ms until the call could succeed (rounded up). */
  readonly retryAfterMs: number;
  /** ms until that band is full again (rounded up). */
  readonly resetMs: number;
  /** True when the store failed and `onStoreError` answered instead. */
  readonly degraded: boolean;
  /**
   * True exactly on a refusal by a limiter with `blockDuration` (such a refusal starts or restarts the block;
   * a `peek` during the block is refused and blocked too). False when allowed, and false on every refusal by
   * a limiter without `blockDuration`, including one caused by a `charge`'s debt or by `wait()` reservations.
   */
  readonly blocked: boolean;
  /** Every band's state, for limiters with several `limits`; undefined for one band. */
  readonly bands: readonly BandDecision[] | undefined;
}

/**
 * Builds the decision for a store result: the band closest to refusing speaks for all. `cost` is what the
 * call asked of every band (or of each band), for a refusal's retry-after. `blockMs` is the limiter's
 * `blockDuration` in ms (0: none), which makes a refusal `blocked`.
 */
export function toDecision(bands: readonly Band[], result: StoreResult, cost: BandCosts, blockMs = 0): Decision {
  const { allowed, aheads } = result;
  const same = typeof cost === 'number';
  if (bands.length === 1) {
    return oneBandDecision(bands[0] as Band, allowed, aheads[0] as number, same ? cost : (cost[0] as number), blockMs);
  }
  const all: BandDecision[] = [];
  let pick: BandDecision | undefined;
  for (let i = 0; i < bands.length; i++) {
    const band = bands[i] as Band;
    const ahead = aheads[i] as number;
    const { limit, remaining, retryAfterMs, resetMs } = oneBandDecision(band, allowed, ahead, same ? cost : (cost[i] as number));
    const state: BandDecision = { limit, remaining, retryAfterMs, resetMs, name: band.name, band };
    all.push(state);
    if (pick === undefined || (allowed ? state.remaining < pick.remaining : state.retryAfterMs > pick.retryAfterMs)) {
      pick = state;
    }
  }
  const chosen = pick as BandDecision;
  return {
    allowed,
    limit: chosen.limit,
    remaining: chosen.remaining,
    retryAfterMs: chosen.retryAfterMs,
    resetMs: chosen.resetMs,
    degraded: false,
    blocked: !allowed && blockMs > 0,
    bands: all,
  };
}

/**
 * The decision of a one-band limiter, from how far (in band units) the band's TAT is ahead of now
 * after the call. `blockMs` as for `toDecision`.
 */
export function oneBandDecision(band: Band, allowed: boolean, ahead: number, cost: number, blockMs = 0): Decision {
  // Exact: every operand is an integer below 2^53, so no quotient is rounded across a whole number.
  const tokens = (band.tolerance - ahead) / band.emission;
  return {
    allowed,
    limit: band.capacity,
    remaining: tokens > 0 ? Math.floor(tokens) : 0,
    retryAfterMs: allowed ? 0 : msUntilFits(band, ahead, cost),
    resetMs: Math.ceil(ahead / band.scale),
    degraded: false,
    blocked: !allowed && blockMs > 0,
    bands: undefined,
  };
}

/**
 * The decision of `onStoreError: 'allow' | 'deny'` when the store could not say: the first band as it is
 * when nothing is known, full when allowed (`cost` taken), empty when denied (retry once `cost` tokens, at
 * least one, could have refilled). `resetMs` is 0: nothing is known to be outstanding.
 */
export function unknownStateDecision(bands: readonly Band[], allowed: boolean, cost: BandCosts): Decision {
  const part = typeof cost === 'number' ? cost : (cost[0] as number);
  const band = bands[0] as Band;
  return {
    allowed,
    limit: band.capacity,
    remaining: allowed ? Math.max(band.capacity - Math.max(part, 0), 0) : 0,
    retryAfterMs: allowed ? 0 : msUntilFits(band, band.tolerance, Math.min(Math.max(part, 1), band.capacity)),
    resetMs: 0,
    degraded: true,
    blocked: false,
    bands: undefined,
  };
}
