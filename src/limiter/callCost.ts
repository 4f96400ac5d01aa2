import { CostExceedsCapacityError, SluiceArgumentError } from '../core/errors.js';
import { type Band, type BandCosts, maxChargeTokens } from '../core/gcra.js';
import { readArgument } from '../core/unreadableArgument.js';

/**
 * What a call costs, in tokens: a plain number is the same cost in every band; an object, keyed by band
 * name (`limits[i].name`), gives each band its own cost and must name every band of the limiter.
 * Each value is a whole number ≥ 0 (a refund's may be any size: it never fills a bucket beyond full).
 */
export type Cost = number | Readonly<Record<string, number>>;

/** How a call uses its cost: what it may be, and how it reaches the store. */
export type CostUse = 'take' | 'charge' | 'refund';

/**
 * Reads the `Cost` of a limiter's calls into what the store receives (`BandCosts`): a number when every
 * band gets the same cost, else one number per band in band order, negated for a refund. Throws a
 * SluiceArgumentError naming `cost` (or `cost.<band>`) and the value; nothing reaches the store then.
 */
export class CallCost {
  /** The largest cost a call that must fit may ask for: the smallest band's capacity. */
  readonly maxCost: number;
  /** The largest cost a charge may put on a band at once (see maxChargeTokens), the smallest over the bands. */
  readonly maxCharge: number;
  private readonly names: ReadonlyMap<string, number>;

  constructor(private readonly bands: readonly Band[]) {
    this.maxCost = Math.min(...bands.map((band) => band.capacity));
    this.maxCharge = Math.min(...bands.map(maxChargeTokens));
    const names = new Map<string, number>();
    bands.forEach((band, i) => {
      if (band.name !== undefined) names.set(band.name, i);
    });
    this.names = names;
  }

  /** Reads `cost` for `use`; throws a SluiceArgumentError (a CostExceedsCapacityError beyond a capacity). */
  read(cost: unknown, use: CostUse): BandCosts {
    if (typeof cost === 'number') {
      this.checkPart(cost, 'cost', use, this.maxCost, this.maxCharge);
      return use === 'refund' ? -cost : cost;
    }
    // A value whose inspection throws (a revoked Proxy, a throwing getter) is a bad `cost` too.
    return readArgument('cost', cost, () => this.readObject(cost, use));
  }

  private readObject(cost: unknown, use: CostUse): BandCosts {
    if (cost === null || typeof cost !== 'object' || Array.isArray(cost)) {
      throw new SluiceArgumentError('cost', cost, 'must be a whole number of tokens ≥ 0, or an object of them keyed by band name');
    }
    const given = cost as Record<string, unknown>;
    const bands = this.bands;
    for (const name of Object.keys(given)) {
      if (!this.names.has(name)) {
        throw new SluiceArgumentError('cost', cost, `names an unknown band ${JSON.stringify(name).slice(0, 64)}; ${this.bandList()}`);
      }
    }
    // Stryker disable next-line ArrayDeclaration: presizing only; the loop below writes every slot before the array is returned
    const parts = new Array<number>(bands.length);
    let same = true;
    for (let i = 0; i < bands.length; i++) {
      const band = bands[i] as Band;
      if (band.name === undefined || !Object.hasOwn(given, band.name)) {
        throw new SluiceArgumentError(
          'cost',
          cost,
          `misses band ${band.name === undefined ? `${i} (unnamed)` : band.name}; ${this.bandList()}`,
        );
      }
      const part = given[band.name];
      this.checkPart(part, `cost.${band.name}`, use, band.capacity, maxChargeTokens(band));
      const value = use === 'refund' ? -(part as number) : (part as number);
      parts[i] = value;
      if (value !== parts[0]) same = false;
    }
    return same ? (parts[0] as number) : parts;
  }

  private checkPart(part: unknown, argument: string, use: CostUse, capacity: number, maxCharge: number): void {
    if (typeof part !== 'number' || !Number.isInteger(part) || part < 0) {
      throw new SluiceArgumentError(argument, part, 'must be a whole number of tokens ≥ 0');
    }
    if (use === 'take' && part > capacity) throw new CostExceedsCapacityError(part, capacity, argument);
    if (use === 'charge' && part > maxCharge) {
      throw new SluiceArgumentError(argument, part, `must be at most ${maxCharge} tokens for a charge (the largest debt counted exactly)`);
    }
  }

  private bandList(): string {
    const named = this.bands.map((band) => band.name).filter((name) => name !== undefined);
    return named.length === this.bands.length
      ? `a per-band cost names every band: ${named.join(', ')}`
      : 'a per-band cost needs every band named (limits[i].name)';
  }
}

/** The cost that gives back what `cost` took. */
export function negatedCost(cost: BandCosts): BandCosts {
  return typeof cost === 'number' ? -cost : Array.from(cost, (part) => -part);
}

/**
 * Whether `cost`, as `CallCost.read` gives it for a take, takes tokens from some band. A per-band one always does:
 * its parts are ≥ 0 and not all the same (the read gives a number when they are, 0 included).
 */
export function takesTokens(cost: BandCosts): boolean {
  return typeof cost !== 'number' || cost > 0;
}

/** The largest part of `cost` (its only one when it is a number): what a one-cost fallback is asked for. */
export function largestPart(cost: BandCosts): number {
  if (typeof cost === 'number') return cost;
  let largest = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < cost.length; i++) largest = Math.max(largest, cost[i] as number);
  return largest;
}
