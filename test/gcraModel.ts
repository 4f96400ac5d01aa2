/**
 * The reference model: GCRA in BigInt, with nothing rounded and nothing reduced. It shares no code with
 * sluice: it reads limits as decimals itself, keeps the TAT in units of 1/a ms where a/b = refillRate /
 * interval (tokens per ms, not in lowest terms), and takes time as whole ms (the clock rounded down, as
 * sluice documents). Every store must make exactly its decisions.
 */

export interface ModelLimit {
  capacity: number;
  refillRate: number;
  /** ms, or a duration string such as '1.5s'. */
  interval: number | string;
}

export interface ModelBandDecision {
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

export interface ModelDecision extends ModelBandDecision {
  allowed: boolean;
  limit: number;
  /** Per band (also for one band). */
  bands: ModelBandDecision[];
  /** A reservation's wait until its tokens are due (0 when at once or refused). */
  delayMs: number;
}

/** The exact value of a decimal number as written: [numerator, denominator]. */
export function decimalRatio(text: string): [bigint, bigint] {
  const match = /^(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (match === null) throw new Error(`not a decimal: ${text}`);
  const digits = `${match[1] ?? ''}${match[2] ?? ''}` || '0';
  const exponent = Number(match[3] ?? 0) - (match[2] ?? '').length;
  return exponent >= 0 ? [BigInt(digits) * 10n ** BigInt(exponent), 1n] : [BigInt(digits), 10n ** BigInt(-exponent)];
}

const UNIT_MS: Record<string, bigint> = { ms: 1n, s: 1000n, m: 60_000n, h: 3_600_000n, d: 86_400_000n };

/** An interval in ms, exactly: [numerator, denominator]. */
export function intervalRatio(interval: number | string): [bigint, bigint] {
  if (typeof interval === 'number') return decimalRatio(String(interval));
  const match = /^\s*([\d.]+)\s*(ms|s|m|h|d)\s*$/.exec(interval);
  if (match === null) throw new Error(`not a duration: ${interval}`);
  const [n, d] = decimalRatio(match[1] as string);
  return [n * (UNIT_MS[match[2] as string] as bigint), d];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** refillRate / interval in tokens per ms, in lowest terms: [p, q]. */
export function lowestRate(limit: ModelLimit): [bigint, bigint] {
  const [rn, rd] = decimalRatio(String(limit.refillRate));
  const [inum, iden] = intervalRatio(limit.interval);
  const a = rn * iden;
  const b = rd * inum;
  const g = gcd(a, b);
  return [a / g, b / g];
}

/** Whether sluice documents the limit as exact: p ≤ 2^40, capacity × q ≤ 2^51 (else it must refuse it). */
export function inDocumentedRange(limit: ModelLimit): boolean {
  const [p, q] = lowestRate(limit);
  return Number.isSafeInteger(limit.capacity) && limit.capacity >= 1 && p <= 2n ** 40n && BigInt(limit.capacity) * q <= 2n ** 51n;
}

const ceilDiv = (x: bigint, y: bigint) => (x <= 0n ? 0n : (x + y - 1n) / y);

class ModelBand {
  /** Units of 1/a ms: one token is b units. */
  readonly a: bigint;
  readonly b: bigint;
  readonly tolerance: bigint;
  readonly capacity: bigint;
  /** The furthest a TAT may run ahead of now: 2^52 units of 1/p ms (p/q the rate in lowest terms), as sluice documents. */
  readonly cap: bigint;
  tat = 0n;

  constructor(limit: ModelLimit) {
    const [rn, rd] = decimalRatio(String(limit.refillRate));
    const [inum, iden] = intervalRatio(limit.interval);
    this.a = rn * iden;
    this.b = rd * inum;
    this.capacity = BigInt(limit.capacity);
    this.tolerance = this.capacity * this.b;
    this.cap = 2n ** 52n * gcd(this.a, this.b);
  }

  ahead(now: bigint): bigint {
    const nowUnits = now * this.a;
    return this.tat > nowUnits ? this.tat - nowUnits : 0n;
  }

  /** Whether `cost` fits; `slackMs` undefined is a charge (always fits), a refund always fits. */
  fits(now: bigint, cost: bigint, slackMs: bigint | undefined): boolean {
    return slackMs === undefined || cost < 0n || this.ahead(now) + cost * this.b - this.tolerance <= slackMs * this.a;
  }

  take(now: bigint, cost: bigint): void {
    const nowUnits = now * this.a;
    this.tat = minBig(maxBig(maxBig(this.tat, nowUnits) + cost * this.b, nowUnits), nowUnits + this.cap);
  }

  /** A block: one token is due `blockMs` from now at the earliest. */
  block(now: bigint, blockMs: bigint): void {
    const nowUnits = now * this.a;
    this.tat = maxBig(this.tat, minBig(nowUnits + this.tolerance + blockMs * this.a - this.b, nowUnits + this.cap));
  }

  describe(now: bigint, allowed: boolean, cost: bigint): ModelBandDecision {
    const ahead = this.ahead(now);
    const tokens = this.tolerance - ahead;
    return {
      remaining: tokens > 0n ? Number(tokens / this.b) : 0,
      retryAfterMs: allowed ? 0 : Number(ceilDiv(ahead + cost * this.b - this.tolerance, this.a)),
      resetMs: Number(ceilDiv(ahead, this.a)),
    };
  }
}

/** One key's buckets under a limiter of one or more bands. */
export class GcraModel {
  private readonly bands: ModelBand[];

  constructor(readonly limits: readonly ModelLimit[]) {
    this.bands = limits.map((limit) => new ModelBand(limit));
  }

  /**
   * A call at clock `clockMs` of `cost` tokens from every band, or `cost[i]` from band i (negative: a refund).
   * `slackMs` > 0 is a reservation, `Infinity` a charge (never refused). `blockMs` > 0: a refused call that
   * takes tokens pushes each band that refused it out so that its next token is due `blockMs` later.
   */
  call(clockMs: number, cost: number | readonly number[], slackMs = 0, blockMs = 0): ModelDecision {
    const now = BigInt(Math.floor(clockMs));
    const parts = this.bands.map((_, i) => BigInt(typeof cost === 'number' ? cost : (cost[i] as number)));
    const slack = slackMs === Number.POSITIVE_INFINITY ? undefined : BigInt(Math.floor(slackMs));
    const fits = this.bands.map((band, i) => band.fits(now, parts[i] as bigint, slack));
    const allowed = fits.every(Boolean);
    if (allowed) {
      for (const [i, band] of this.bands.entries()) band.take(now, parts[i] as bigint);
    } else if (blockMs > 0 && parts.some((part) => part > 0n)) {
      this.bands.forEach((band, i) => {
        if (!fits[i]) band.block(now, BigInt(blockMs));
      });
    }
    let delay = 0n;
    if (allowed) for (const band of this.bands) delay = maxBig(delay, ceilDiv(band.ahead(now) - band.tolerance, band.a));
    // A granted reservation is described when its tokens are due (a charge's or a refund's at once).
    if (slack === undefined || parts.some((part) => part < 0n)) delay = 0n;
    const at = now + delay;
    return { ...this.pick(at, allowed, parts), delayMs: Number(delay) };
  }

  /**
   * Whether a decision is `blocked`: exactly a refusal by a limiter with a block duration (`blockMs` > 0),
   * never a refusal caused by a charge's debt or by reservations.
   */
  blocked(allowed: boolean, blockMs: number): boolean {
    return !allowed && blockMs > 0;
  }

  /** Gives `cost` tokens back (per band, or the same in each): never refused, never beyond a full bucket. */
  refund(clockMs: number, cost: number | readonly number[]): ModelDecision {
    return this.call(clockMs, typeof cost === 'number' ? -cost : cost.map((part) => -part), Number.POSITIVE_INFINITY);
  }

  private pick(now: bigint, allowed: boolean, parts: bigint[]): Omit<ModelDecision, 'delayMs'> {
    const all = this.bands.map((band, i) => band.describe(now, allowed, parts[i] as bigint));
    let chosen = 0;
    for (let i = 1; i < all.length; i++) {
      const state = all[i] as ModelBandDecision;
      const best = all[chosen] as ModelBandDecision;
      if (allowed ? state.remaining < best.remaining : state.retryAfterMs > best.retryAfterMs) chosen = i;
    }
    return {
      allowed,
      limit: Number((this.bands[chosen] as ModelBand).capacity),
      ...(all[chosen] as ModelBandDecision),
      bands: all,
    };
  }
}

function maxBig(x: bigint, y: bigint): bigint {
  return x > y ? x : y;
}

function minBig(x: bigint, y: bigint): bigint {
  return x < y ? x : y;
}
