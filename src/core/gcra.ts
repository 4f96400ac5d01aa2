/**
 * The token bucket, kept as GCRA (the generic cell rate algorithm): one time per key and band, the
 * theoretical arrival time (TAT), is the whole state.
 *
 * - Emission interval T: time to refill one token (interval / refillRate).
 * - Tolerance τ = capacity × T: how far the TAT may run ahead of now. A full bucket has TAT ≤ now;
 *   an empty one has TAT = now + τ.
 * - A call of cost c at `now`: tat0 = max(tat, now), newTat = tat0 + c × T. It is allowed iff
 *   newTat − now ≤ τ (that is, the bucket holds at least c tokens), and then newTat is stored.
 *   A denied call stores nothing (unless the limit blocks: see applyCall). A refund (c < 0) is never
 *   refused: newTat = max(tat0 + c × T, now), so a bucket never holds more than its capacity.
 * - A charge is never refused either: newTat may pass now + τ. The bucket is then in debt: the debt of
 *   newTat − (now + τ), that is N tokens, clears after N × T, and then the bucket refills as usual.
 * - Tokens in the bucket at `now`: (τ − (tat0 − now)) / T, which is the continuous-refill formula
 *   min(capacity, tokens + elapsed × rate / interval) in other clothes.
 *
 * Exact: T = interval / refillRate is rarely a whole number of ms (1000 / 3), and adding a rounded T a
 * million times drifts. So the arithmetic runs in "band units" of 1/scale ms, where scale / emission is
 * refillRate / interval in lowest terms (both read as the decimals they are written as): T is then the
 * integer `emission`. Time is whole ms. Every decision is taken on how far the TAT is *ahead of now*, in
 * band units: an integer bounded by the limit (below 2^52), however large the clock, so doubles hold it
 * exactly. The absolute TAT (a clock near 1.8e12 ms times a scale of thousands is past 2^53) is stored as
 * two exact numbers: whole ms rounded up (`tat`, the ms from which the band is full), and how many band
 * units the TAT falls short of it (`short`, 0 ≤ short < scale).
 *
 * Everything here is pure: no I/O, time is an argument.
 */
import { decimalFraction, reduce } from './decimalFraction.js';
import { SluiceConfigError } from './errors.js';

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

/** The clock's range (ms): from 0 up to 2^52 (the year 142,000), so a TAT in ms stays below 2^53. */
export const MAX_CLOCK_MS = 2 ** 52;
/** The furthest a TAT may run ahead of now (band units): tolerance plus a reservation's wait. */
export const MAX_AHEAD_UNITS = 2 ** 52;
/** The largest tolerance (band units); with a cost of up to capacity, every sum stays below 2^53. */
export const MAX_TOLERANCE_UNITS = 2 ** 51;
/**
 * The largest scale (band units per ms). Bounds the decimal digits a stored TAT needs for its fraction
 * (Redis keeps it as text) and keeps every product of the conversion within double precision.
 */
export const MAX_SCALE = 2 ** 40;

/**
 * Compiles a band, checking that its arithmetic stays exact. Throws a SluiceConfigError naming the
 * option (prefixed with `where`, e.g. `limits[1]`), its value and the accepted range.
 */
export function compileBand(capacity: number, refillRate: number, intervalMs: number, name?: string, where = ''): Band {
  const option = (key: string) => (where ? `${where}.${key}` : key);
  if (typeof refillRate !== 'number' || !Number.isFinite(refillRate) || refillRate <= 0) {
    throw new SluiceConfigError(option('refillRate'), refillRate, 'must be a positive, finite number');
  }
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new SluiceConfigError(option('interval'), intervalMs, 'must be a positive, finite duration');
  }
  // Tokens per ms = refillRate / interval = scale / emission, in lowest terms.
  const rate = decimalFraction(refillRate);
  const interval = decimalFraction(intervalMs);
  const { numerator, denominator } = reduce(rate.numerator * interval.denominator, rate.denominator * interval.numerator);
  // Blame the option that contributes most to the part that is too large.
  if (numerator > BigInt(MAX_SCALE)) {
    const [name, value] = rate.numerator >= interval.denominator ? ['refillRate', refillRate] : ['interval', intervalMs];
    throw new SluiceConfigError(
      option(name),
      value,
      `makes a rate too fine to count exactly (refillRate ${refillRate} per ${intervalMs} ms): refillRate / interval in tokens per ms, in lowest terms p/q, needs p ≤ 2^40 (${MAX_SCALE}); use a smaller rate or fewer significant digits`,
    );
  }
  if (denominator > BigInt(MAX_TOLERANCE_UNITS)) {
    const [name, value] = interval.numerator >= rate.denominator ? ['interval', intervalMs] : ['refillRate', refillRate];
    throw new SluiceConfigError(
      option(name),
      value,
      `makes an emission interval too long or too fine to count exactly (refillRate ${refillRate} per ${intervalMs} ms): interval / refillRate in ms per token, in lowest terms q/p, needs q ≤ 2^51 (${MAX_TOLERANCE_UNITS})`,
    );
  }
  const scale = Number(numerator);
  const emission = Number(denominator);
  const maxCapacity = Math.floor(MAX_TOLERANCE_UNITS / emission);
  if (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 1 || capacity > maxCapacity) {
    throw new SluiceConfigError(
      option('capacity'),
      capacity,
      `must be a positive, finite number: a whole number of tokens from 1 to ${maxCapacity} (capacity × interval / refillRate, in band units of 1/${scale} ms, must stay ≤ 2^51)`,
    );
  }
  return { capacity, refillRate, intervalMs, name, scale, emission, tolerance: capacity * emission };
}

/**
 * The longest wait (ms) a reservation on these bands may ask for: tolerance plus wait must stay within
 * MAX_AHEAD_UNITS in every band.
 */
export function maxWaitMs(bands: readonly Band[]): number {
  let max = Number.POSITIVE_INFINITY;
  for (const band of bands) max = Math.min(max, Math.floor((MAX_AHEAD_UNITS - band.tolerance) / band.scale));
  return max;
}

/**
 * How far (band units, ≥ 0) a TAT stored as `tat` whole ms (rounded up) less `short` band units is
 * ahead of `now` (whole ms): the bucket's deficit. 0 means a full bucket.
 */
export function aheadOf(band: Band, tat: number, short: number, now: number): number {
  return tat > now ? (tat - now) * band.scale - short : 0;
}

/**
 * Stores the TAT that lies `ahead` band units after `now` as `tats[index]` (whole ms, rounded up) and
 * `shorts[index]` (band units short of it). `shorts` may be undefined for a band of scale 1 (never short).
 */
export function writeTat(
  band: Band,
  now: number,
  ahead: number,
  tats: { [index: number]: number },
  shorts: { [index: number]: number } | undefined,
  index: number,
): void {
  // Exact: ahead < 2^53, so the quotient is never rounded across a whole number.
  const whole = Math.ceil(ahead / band.scale);
  tats[index] = now + whole;
  if (shorts !== undefined) shorts[index] = whole * band.scale - ahead;
}

/**
 * ms from when a band is `ahead` band units ahead until it holds `cost` tokens (0 when it already does):
 * a denial's retry-after, or (cost 0) when a reservation's tokens are due. Rounded up to whole ms.
 */
export function msUntilFits(band: Band, ahead: number, cost: number): number {
  const wait = ahead + cost * band.emission - band.tolerance;
  return wait > 0 ? Math.ceil(wait / band.scale) : 0;
}

/** Per band, how far ahead of `now + elapsedMs` the TATs that were `aheads` ahead of `now` are. */
export function aheadsAfter(bands: readonly Band[], aheads: ArrayLike<number>, elapsedMs: number): number[] {
  // Stryker disable next-line ArrayDeclaration: presizing only; the loop below writes every slot before it is read (bands is a policy's array, whose length is a whole number)
  const out = new Array<number>(bands.length);
  for (let i = 0; i < bands.length; i++) {
    const left = (aheads[i] as number) - elapsedMs * (bands[i] as Band).scale;
    out[i] = Math.max(left, 0);
  }
  return out;
}

/**
 * A call's cost as a store receives it: a whole number of tokens taken from every band, or one whole number
 * per band (in the order of the bands) when they differ. Negative numbers give tokens back.
 */
export type BandCosts = number | ArrayLike<number>;

/**
 * Applies one call to every band of a key, all or nothing, in place.
 *
 * Band i's TAT is `tats[offset + i]` whole ms (rounded up) less `shorts[offset + i]` band units; anything
 * ≤ now (e.g. `now` itself, short 0) is a full bucket. `shorts` may be undefined when every band has scale 1.
 * `now` is whole ms. `cost` is the tokens taken from every band, or per band (`cost[i]` from band i).
 * On success the TATs are replaced with the new ones; on denial they are left as they were, unless
 * `blockMs` > 0. Either way `aheads[i]` receives band i's deficit after the call, in band units (what a
 * decision is built from), so a store keeps the TATs when any of them is ahead of now.
 *
 * - `slackMs` (whole ms) widens the tolerance for reservations (`wait`): the call may then run up to
 *   `slackMs` into the future. `Infinity` is a charge: never refused, the bucket may go into debt (a TAT
 *   beyond now + tolerance), capped at MAX_AHEAD_UNITS ahead of now so it stays exact.
 * - A negative cost gives tokens back: never refused, never beyond a full bucket.
 * - `blockMs` (whole ms, default 0): a denied call that takes tokens pushes every band that refused it out
 *   to a TAT of now + tolerance + blockMs − T (unless it is further already): no call fits for `blockMs`,
 *   and then the band holds one token and refills as usual.
 */
export function applyCall(
  bands: readonly Band[],
  tats: { [index: number]: number },
  shorts: { [index: number]: number } | undefined,
  offset: number,
  now: number,
  cost: BandCosts,
  slackMs: number,
  aheads: { [index: number]: number },
  blockMs = 0,
): boolean {
  const count = bands.length;
  const same = typeof cost === 'number';
  let allowed = true;
  for (let i = 0; i < count; i++) {
    const band = bands[i] as Band;
    const ahead = aheadOf(band, tats[offset + i] as number, shorts === undefined ? 0 : (shorts[offset + i] as number), now);
    aheads[i] = ahead;
    const part = same ? cost : (cost[i] as number);
    if (!callFits(band, ahead, part, slackMs)) allowed = false;
  }
  if (!allowed) {
    // Only a call that takes tokens blocks, so a look never does.
    if (blockMs > 0 && (same ? cost > 0 : Array.prototype.some.call(cost, isPositive))) {
      for (let i = 0; i < count; i++) {
        const band = bands[i] as Band;
        const part = same ? cost : (cost[i] as number);
        const ahead = aheads[i] as number;
        if (callFits(band, ahead, part, slackMs)) continue;
        const blocked = Math.min(band.tolerance + blockMs * band.scale - band.emission, MAX_AHEAD_UNITS);
        if (blocked <= ahead) continue;
        aheads[i] = blocked;
        writeTat(band, now, blocked, tats, shorts, offset + i);
      }
    }
    return false;
  }
  if (cost === 0) return true;
  for (let i = 0; i < count; i++) {
    const band = bands[i] as Band;
    const part = same ? cost : (cost[i] as number);
    if (part === 0) continue;
    const ahead = aheadAfterCall(band, aheads[i] as number, part);
    aheads[i] = ahead;
    writeTat(band, now, ahead, tats, shorts, offset + i);
  }
  return true;
}

const isPositive = (part: number) => part > 0;

/**
 * The largest cost (tokens) a call may put on a band at once: its TAT then stays within MAX_AHEAD_UNITS of
 * now, so every sum stays exact. Well above `capacity`; what a charge may ask for.
 */
export function maxChargeTokens(band: Band): number {
  return Math.floor(MAX_AHEAD_UNITS / band.emission);
}

/**
 * ms until every band, band i being `aheads[i]` band units ahead, holds `cost` tokens (0 when all do already):
 * a denial's retry-after, the longest wait of any band. Rounded up to whole ms.
 */
export function msUntilAllFit(bands: readonly Band[], aheads: ArrayLike<number>, cost: number): number {
  let wait = 0;
  for (let i = 0; i < bands.length; i++) wait = Math.max(wait, msUntilFits(bands[i] as Band, aheads[i] as number, cost));
  return wait;
}

/**
 * Whether a call of `cost` tokens fits in a band whose TAT is `ahead` band units ahead of now, with the
 * tolerance widened by `slackMs` (whole ms, reservations; Infinity for a charge). A refund (cost < 0) always fits.
 * One step of `applyCall`, exported so that a store's one-band path takes the same step.
 */
export function callFits(band: Band, ahead: number, cost: number, slackMs: number): boolean {
  return cost < 0 || ahead + cost * band.emission - band.tolerance <= slackMs * band.scale;
}

/**
 * How far (band units, ≥ 0) the TAT is ahead of now once a call of `cost` tokens that fits is applied to a
 * band `ahead` units ahead: a refund never takes the bucket beyond full. One step of `applyCall`.
 */
export function aheadAfterCall(band: Band, ahead: number, cost: number): number {
  // Only a charge can run past the cap, which keeps every later sum below 2^53 and so exact.
  return Math.min(Math.max(ahead + cost * band.emission, 0), MAX_AHEAD_UNITS);
}

/**
 * `callFits` and `aheadAfterCall` in one step, for a call that takes `cost` > 0 tokens (or a charge) from a band
 * `ahead` band units ahead, with the tolerance widened by `slackMs` as in `callFits`: how far (band units) the
 * TAT is ahead of now after the call, or -1 when it does not fit. One step of `applyCall`, for a store's
 * one-band path: one sum, and no refund's floor to apply.
 */
export function aheadAfterTake(band: Band, ahead: number, cost: number, slackMs: number): number {
  const after = ahead + cost * band.emission;
  if (after - band.tolerance > slackMs * band.scale) return -1;
  // Only a charge can run past the cap, which keeps every later sum below 2^53 and so exact.
  return Math.min(after, MAX_AHEAD_UNITS);
}

/** ms from the call until a reservation made with `applyCall(..., slackMs)` may go ahead (0 when at once). */
export function reservationDelayMs(bands: readonly Band[], aheads: ArrayLike<number>): number {
  return msUntilAllFit(bands, aheads, 0);
}
