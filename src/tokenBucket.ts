/**
 * The token bucket, kept as GCRA (the generic cell rate algorithm): one number per key and band,
 * the theoretical arrival time (TAT), is the whole state.
 *
 * - Emission interval T: time to refill one token (interval / refillRate).
 * - Tolerance τ = capacity × T: how far the TAT may run ahead of now. A full bucket has TAT ≤ now;
 *   an empty one has TAT = now + τ.
 * - A call of cost c at `now`: tat0 = max(tat, now), newTat = tat0 + c × T. It is allowed iff
 *   newTat − now ≤ τ (that is, the bucket holds at least c tokens), and then newTat is stored.
 *   A denied call stores nothing.
 * - Tokens in the bucket at `now`: (τ − (tat0 − now)) / T, which is the continuous-refill formula
 *   min(capacity, tokens + elapsed × rate / interval) in other clothes.
 *
 * No floating drift: T = interval / refillRate is rarely a whole number of ms (1000 / 3), and adding a
 * rounded T a million times drifts. So the arithmetic runs in "band units" of 1/scale ms, where
 * scale / emission is refillRate / interval reduced to lowest terms: T is then the integer `emission`,
 * and with an integer clock and integer costs every value is an exact integer (below 2^53).
 * Stores keep TATs in plain ms (readable, independent of the limit), and `toUnits` snaps the
 * ms → units conversion back onto the integer it came from.
 *
 * Everything here is pure: no I/O, time is an argument.
 */

/** A limit band compiled for the arithmetic above. */
export interface Band {
  /** Max tokens in the bucket: the largest burst. */
  readonly capacity: number;
  /** Tokens added per `intervalMs`. */
  readonly refillRate: number;
  readonly intervalMs: number;
  /** Optional name, used by adapters in the RateLimit-Policy header. */
  readonly name: string | undefined;
  /** Band units per ms. */
  readonly scale: number;
  /** Band units per token (T in band units). */
  readonly emission: number;
  /** τ in band units: capacity × emission. */
  readonly tolerance: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Compiles a band. Inputs must already be validated (positive and finite). */
export function compileBand(capacity: number, refillRate: number, intervalMs: number, name?: string): Band {
  let scale = refillRate;
  let emission = intervalMs;
  if (Number.isSafeInteger(refillRate) && Number.isSafeInteger(intervalMs)) {
    const divisor = gcd(refillRate, intervalMs);
    scale = refillRate / divisor;
    emission = intervalMs / divisor;
  }
  return { capacity, refillRate, intervalMs, name, scale, emission, tolerance: capacity * emission };
}

// A ms value converted from an integer unit value is within a few ulps of it; 2^-50 relative is a
// safe margin that still leaves genuinely fractional values (from a fractional clock) alone.
const SNAP_EPSILON = 2 ** -50;

/** Converts a TAT in ms to band units, snapping back onto the integer it was computed from. */
export function toUnits(ms: number, scale: number): number {
  const units = ms * scale;
  const rounded = Math.round(units);
  return Math.abs(units - rounded) <= Math.abs(units) * SNAP_EPSILON ? rounded : units;
}

/**
 * Applies one call to every band of a key, all or nothing, in place.
 *
 * `tats[offset + i]` is band i's TAT in ms (anything ≤ now, e.g. `now` itself, means a full bucket).
 * On success they are replaced with the new TATs; on denial they are left as they were.
 * `slackMs` widens the tolerance for reservations (`wait`): the call may then run up to `slackMs`
 * into the future. A negative cost gives tokens back (never beyond a full bucket).
 */
export function applyCall(
  bands: readonly Band[],
  tats: { [index: number]: number },
  offset: number,
  now: number,
  cost: number,
  slackMs: number,
): boolean {
  const count = bands.length;
  for (let i = 0; i < count; i++) {
    const band = bands[i] as Band;
    const nowUnits = now * band.scale;
    const tat = Math.max(toUnits(tats[offset + i] as number, band.scale), nowUnits);
    if (tat + cost * band.emission - nowUnits > band.tolerance + slackMs * band.scale) return false;
  }
  for (let i = 0; i < count; i++) {
    const band = bands[i] as Band;
    const nowUnits = now * band.scale;
    const tat = Math.max(toUnits(tats[offset + i] as number, band.scale), nowUnits);
    tats[offset + i] = Math.max(tat + cost * band.emission, nowUnits) / band.scale;
  }
  return true;
}

/** ms from `now` until a reservation made with `applyCall(..., slackMs)` may go ahead (0 when at once). */
export function reservationDelayMs(bands: readonly Band[], tats: ArrayLike<number>, now: number): number {
  let delay = 0;
  for (let i = 0; i < bands.length; i++) {
    const band = bands[i] as Band;
    const over = toUnits(tats[i] as number, band.scale) - now * band.scale - band.tolerance;
    if (over > 0) delay = Math.max(delay, Math.ceil(over / band.scale));
  }
  return delay;
}
