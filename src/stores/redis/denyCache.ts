import { aheadsAfter, type Band, msUntilAllFit } from '../../core/gcra.js';
import { heldKey, keyBytes, ownedKey } from '../../core/keyDigest.js';
import type { StoreResult } from '../../core/store.js';

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
 * or by this process giving them back or resetting, which forget the entry). Bounded in entries and in
 * bytes: past `maxKeys` or `maxBytes` the oldest entries go (a Map iterates in insertion order). A key
 * longer than 64 characters is held as a digest (see heldKey), so long keys cannot defeat `maxBytes`.
 */
export class DenyCache {
  private readonly entries = new Map<string, Denial>();
  private byteCount = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Estimated heap bytes of the entries: what `maxBytes` bounds. */
  get bytes(): number {
    return this.byteCount;
  }

  /**
   * The cached denial of `cost` for `key`, or undefined. `clientNow` is the caller's time when the store
   * decides by the caller's clock; otherwise the store's time is followed with the local monotonic clock.
   */
  lookup(key: string, cost: number, clientNow: number | undefined): StoreResult | undefined {
    key = heldKey(key);
    const denial = this.entries.get(key);
    if (denial === undefined || cost < denial.cost) return undefined;
    let now = clientNow;
    if (now === undefined) {
      const elapsed = performance.now() - denial.at;
      // The monotonic clock went back: fake timers were installed or removed since. Only the store can tell.
      if (elapsed < 0) {
        this.delete(key, denial);
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
    this.delete(key, denial);
    return undefined;
  }

  /** Remembers a denial of `cost` for `key` (a store result with allowed false). */
  remember(key: string, bands: readonly Band[], cost: number, result: StoreResult): void {
    const { now, aheads } = result;
    // The decision's retry-after: until then Redis would deny `cost` again.
    const wait = msUntilAllFit(bands, aheads, cost);
    if (wait === 0) return;
    key = heldKey(key);
    this.forgetHeld(key); // re-inserted at the end: the newest entry is the last to be evicted
    const bytes = entryBytes(aheads.length) + keyBytes(key);
    while (this.entries.size > 0 && (this.entries.size >= this.maxKeys || this.byteCount + bytes > this.maxBytes)) {
      const [oldest, denial] = this.entries.entries().next().value as [string, Denial];
      this.delete(oldest, denial);
    }
    // A copy of its own: the caller's string may be a view that keeps a much larger string alive.
    this.entries.set(ownedKey(key), { cost, until: now + wait, now, at: performance.now(), bands, aheads: Array.from(aheads) });
    this.byteCount += bytes;
  }

  forget(key: string): void {
    this.forgetHeld(heldKey(key));
  }

  clear(): void {
    this.entries.clear();
    this.byteCount = 0;
  }

  private forgetHeld(key: string): void {
    const denial = this.entries.get(key);
    if (denial !== undefined) this.delete(key, denial);
  }

  private delete(key: string, denial: Denial): void {
    this.entries.delete(key);
    this.byteCount -= entryBytes(denial.aheads.length) + keyBytes(key);
  }
}

/**
 * Heap bytes counted for an entry besides its key, with `bands` bands: the Map entry (with room to grow, as in
 * MemoryStore), the Denial object and its boxed numbers, and its array of aheads.
 */
function entryBytes(bands: number): number {
  return 4 * (24 + 4) + 72 + 4 * 16 + 48 + 8 * bands;
}
