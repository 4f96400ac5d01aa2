import type { StoreResult } from './store.js';
import { aheadsAfter, type Band, msUntilFits } from './tokenBucket.js';

interface Denial {
  /** The smallest cost known to be denied until `until`. */
  readonly cost: number;
  /** Time (whole ms, in the store's clock) at which `cost` tokens are there again. */
  readonly until: number;
  /** The store's time of the denial, and `performance.now()` then, to follow the store's clock locally. */
  readonly now: number;
  readonly at: number;
  readonly bands: readonly Band[];
  /** Per band, how far the TAT was ahead of `now` (band units). */
  readonly aheads: readonly number[];
}

/**
 * Denials remembered locally, so a flood from one client stops costing Redis round trips.
 * A key denied for cost c until t is denied for any cost ≥ c until t (tokens only come back by refill,
 * or by this process giving them back or resetting, which forget the entry). Bounded: past `maxKeys`
 * the oldest entry goes (a Map iterates in insertion order).
 */
export class DenyCache {
  private readonly entries = new Map<string, Denial>();

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached denial of `cost` for `key`, or undefined. `clientNow` is the caller's time when the store
   * decides by the caller's clock; otherwise the store's time is followed with the local monotonic clock.
   */
  lookup(key: string, cost: number, clientNow: number | undefined): StoreResult | undefined {
    const denial = this.entries.get(key);
    if (denial === undefined || cost < denial.cost) return undefined;
    let now = clientNow;
    if (now === undefined) {
      const elapsed = performance.now() - denial.at;
      // The monotonic clock went back: fake timers were installed or removed since. Only the store can tell.
      if (elapsed < 0) {
        this.entries.delete(key);
        return undefined;
      }
      // Floor: never judge the store's clock to be later than it can be.
      now = denial.now + Math.floor(elapsed);
    }
    // Whole ms on both sides: `until` is the first ms at which the store's exact arithmetic admits `cost`.
    if (now < denial.until) {
      const elapsed = now - denial.now;
      return { allowed: false, now, aheads: elapsed !== 0 ? aheadsAfter(denial.bands, denial.aheads, elapsed) : denial.aheads };
    }
    this.entries.delete(key);
    return undefined;
  }

  /** Remembers a denial of `cost` for `key` (a store result with allowed false). */
  remember(key: string, bands: readonly Band[], cost: number, result: StoreResult): void {
    const { now, aheads } = result;
    let wait = 0;
    for (let i = 0; i < bands.length; i++) wait = Math.max(wait, msUntilFits(bands[i] as Band, aheads[i] as number, cost));
    if (wait === 0) return;
    this.entries.delete(key); // re-inserted at the end: the newest entry is the last to be evicted
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { cost, until: now + wait, now, at: performance.now(), bands, aheads: Array.from(aheads) });
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
