import { brand, isInstance } from '../../core/brand.js';
import { aheadAfterTake, aheadOf, applyCall, type Band, type BandCosts, writeTat } from '../../core/gcra.js';
import { heldKey, keyBytes, LONGEST_PLAIN_KEY, ownedKey } from '../../core/keyDigest.js';
import type { Policy, Store, StoreResult } from '../../core/store.js';
import { vouchForResults } from '../../core/wellFormedResults.js';
import type { KeyTable } from './keyTable.js';
import { type MemoryStoreOptions, readMemoryStoreOptions } from './memoryStoreOptions.js';
import { NamespaceTables } from './namespaceTables.js';
import { Sweeper } from './sweeper.js';

export type { MemoryStoreOptions } from './memoryStoreOptions.js';

/**
 * The embedded default store: in-process, synchronous, bounded.
 *
 * Memory stays bounded three ways: a key whose bucket is full again is dropped when next seen and by
 * a background sweep (sweeper.ts); and `maxKeys` and `maxBytes` cap the number of keys and the bytes they
 * take, evicting by CLOCK (clockEviction.ts). Keys live in one table per namespace (keyTable.ts). Keys
 * longer than 64 characters are held as a SHA-256 digest, so a key's length cannot defeat `maxBytes`.
 */
export class MemoryStore implements Store {
  static {
    brand(MemoryStore, 'MemoryStore');
    vouchForResults(MemoryStore.prototype.update);
  }

  /** True for a MemoryStore of any copy of sluice loaded in the process (see RateLimiter). */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asked about, maybe a user's subclass
    return isInstance(this, value);
  }

  readonly synchronous = true;
  readonly maxKeys: number;
  readonly maxBytes: number;
  private readonly tables: NamespaceTables;
  private readonly sweeper: Sweeper;
  /** Forgets a key whose buckets are full (for the expiry hand: one function, not one per call). */
  private readonly dropFull = (table: KeyTable, key: string, slot: number) => this.drop(table, key, slot);
  private keyCount = 0;
  private byteCount = 0;
  /** Latest time seen in a call: the sweep judges fullness by the limiters' own clock. */
  private latestNow = Number.NEGATIVE_INFINITY;
  // Reused for every call: the limiter reads a synchronous result before making another call.
  private scratchTats = new Float64Array(1);
  private scratchShorts = new Float64Array(1);
  private aheads = new Float64Array(1);
  private readonly result: { allowed: boolean; now: number; aheads: Float64Array } = {
    allowed: false,
    now: 0,
    aheads: this.aheads,
  };

  /** Throws a SluiceConfigError naming every unknown option, or the first unusable value. */
  constructor(options: MemoryStoreOptions = {}) {
    const { maxKeys, maxBytes, sweepInterval } = readMemoryStoreOptions(options);
    this.maxKeys = maxKeys;
    this.maxBytes = maxBytes;
    this.tables = new NamespaceTables(maxKeys, maxBytes);
    this.sweeper = new Sweeper(
      {
        tables: () => [...this.tables.byNamespace.values()],
        latestNow: () => this.latestNow,
        drop: this.dropFull,
        size: () => this.keyCount,
      },
      sweepInterval,
    );
  }

  /** Number of keys held, over all namespaces. */
  get size(): number {
    return this.keyCount;
  }

  /** Estimated heap bytes the keys and their buckets take, over all prefixes: what `maxBytes` bounds. */
  get bytes(): number {
    return this.byteCount;
  }

  update(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number): StoreResult {
    now = Math.floor(now);
    if (now > this.latestNow) this.latestNow = now;
    if (key.length > LONGEST_PLAIN_KEY) key = heldKey(key);
    const tables = this.tables;
    const table = policy === tables.lastPolicy ? (tables.lastTable as KeyTable) : tables.tableFor(policy);
    // Per-band costs, blocks, looks and refunds take applyCall's general path.
    if (table.stride === 1 && typeof cost === 'number' && cost > 0 && !policy.blockMs) {
      return this.updateOneBand(table, policy.bands[0] as Band, key, cost, slackMs, now);
    }
    return this.updateBands(table, policy, key, cost, slackMs, now);
  }

  /**
   * `update` for a call that takes tokens (or a charge) on a one-band limit, the common case: `applyCall`'s
   * steps on one band, without the scratch state and loops that several bands need.
   */
  private updateOneBand(table: KeyTable, band: Band, key: string, cost: number, slackMs: number, now: number): StoreResult {
    const slot = table.slots.get(key);
    if (slot === undefined) return this.updateOneBandNewKey(table, band, key, cost, slackMs, now);
    table.referenced[slot] = 1;
    const ahead = aheadOf(band, table.tats[slot] as number, table.shorts === undefined ? 0 : (table.shorts[slot] as number), now);
    const after = aheadAfterTake(band, ahead, cost, slackMs);
    if (after < 0) return this.oneBandResult(false, ahead, now);
    writeTat(band, now, after, table.tats, table.shorts, slot);
    return this.oneBandResult(true, after, now);
  }

  /** `updateOneBand` for a key without an entry (a full bucket): one that takes tokens needs an entry. */
  private updateOneBandNewKey(table: KeyTable, band: Band, key: string, cost: number, slackMs: number, now: number): StoreResult {
    const ahead = aheadAfterTake(band, 0, cost, slackMs);
    if (ahead < 0) return this.oneBandResult(false, 0, now);
    const inserted = this.insert(table, key, now); // may grow the slabs: read them after
    writeTat(band, now, ahead, table.tats, table.shorts, inserted);
    return this.oneBandResult(true, ahead, now);
  }

  private oneBandResult(allowed: boolean, ahead: number, now: number): StoreResult {
    const result = this.result;
    result.allowed = allowed;
    result.now = now;
    this.aheads[0] = ahead;
    return result;
  }

  /** `update` for a limit of several bands: `applyCall` on the key's slots, or on scratch state for a new key. */
  private updateBands(table: KeyTable, policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number): StoreResult {
    const stride = table.stride;
    const result = this.result;
    if (this.scratchTats.length < stride) {
      // Grown once per band count; calls only ever use the first `stride` entries.
      this.scratchTats = new Float64Array(stride);
      this.scratchShorts = new Float64Array(stride);
      this.aheads = result.aheads = new Float64Array(stride);
    }
    const aheads = this.aheads;
    result.now = now;
    let slot = table.slots.get(key);
    if (slot === undefined) {
      // No entry is a full bucket: decide on scratch state, and keep it only if the call leaves the bucket short.
      const tats = this.scratchTats;
      const shorts = this.scratchShorts;
      for (let i = 0; i < stride; i++) {
        tats[i] = now;
        shorts[i] = 0;
      }
      result.allowed = applyCall(policy.bands, tats, shorts, 0, now, cost, slackMs, aheads, policy.blockMs);
      // Keep the entry only if the call left the bucket short of full (it took tokens, or blocked the key).
      if (!allZero(aheads, stride)) {
        slot = this.insert(table, key, now);
        const base = slot * stride;
        table.tats.set(tats.subarray(0, stride), base);
        table.shorts?.set(shorts.subarray(0, stride), base);
      }
      return result;
    }
    table.referenced[slot] = 1;
    result.allowed = applyCall(policy.bands, table.tats, table.shorts, slot * stride, now, cost, slackMs, aheads, policy.blockMs);
    // A full bucket is the same as no entry: keep memory for buckets that remember something (a look
    // that finds the bucket full drops it lazily, too).
    if (allZero(aheads, stride)) this.drop(table, key, slot);
    return result;
  }

  reset(policy: Policy, key: string): void {
    key = heldKey(key);
    const table = this.tables.get(policy.namespace);
    const slot = table?.slots.get(key);
    if (table !== undefined && slot !== undefined) this.drop(table, key, slot);
  }

  /**
   * Drops every key whose buckets are full at `now` (default: the latest time seen in a call).
   * The background timer does the same in chunks; call this to do it all at once.
   */
  sweep(now: number = this.latestNow): number {
    let dropped = 0;
    for (const table of this.tables.byNamespace.values()) {
      for (const [key, slot] of table.slots) {
        if (table.isFull(slot, now)) {
          this.drop(table, key, slot);
          dropped++;
        }
      }
    }
    return dropped;
  }

  /** Stops the background sweep and forgets every key. */
  close(): void {
    this.sweeper.stop();
    this.tables.clear();
    this.keyCount = 0;
    this.byteCount = 0;
  }

  /**
   * @internal Reserves `policy.namespace` for `policy`'s limits; throws a SluiceConfigError if other limits hold
   * it (only when their fingerprints collide: other limits get another namespace).
   */
  claim(policy: Policy): void {
    this.tables.tableFor(policy);
  }

  private insert(table: KeyTable, key: string, now: number): number {
    table.expireSome(now, this.dropFull);
    // A copy of its own: the caller's string may be a view that keeps a much larger string alive.
    key = ownedKey(key);
    const bytes = table.entryBytes + keyBytes(key);
    while (this.keyCount > 0 && (this.keyCount >= this.maxKeys || this.byteCount + bytes > this.maxBytes)) this.evict(table);
    // Counted once the key has its slot, so that the count is always the keys the tables hold.
    const slot = table.allocate(key);
    this.keyCount++;
    this.byteCount += bytes;
    this.sweeper.start();
    return slot;
  }

  /** Evicts one key, from `preferred` if it has any; only while keyCount > 0, so some table holds one. */
  private evict(preferred: KeyTable): void {
    const table = this.tables.withKeys(preferred);
    const key = table.evictOne() as string;
    this.keyCount--;
    this.byteCount -= table.entryBytes + keyBytes(key);
  }

  private drop(table: KeyTable, key: string, slot: number): void {
    table.release(key, slot);
    this.keyCount--;
    this.byteCount -= table.entryBytes + keyBytes(key);
  }
}

function allZero(values: Float64Array, count: number): boolean {
  for (let i = 0; i < count; i++) if ((values[i] as number) !== 0) return false;
  return true;
}
