import { brand, isInstance } from '../../core/brand.js';
import { type Duration, parseDuration } from '../../core/duration.js';
import { SluiceConfigError } from '../../core/errors.js';
import { applyCall, type BandCosts } from '../../core/gcra.js';
import { heldKey, keyBytes, LONGEST_PLAIN_KEY, ownedKey } from '../../core/keyDigest.js';
import { namespaceConflict, sameLimits } from '../../core/keyNamespace.js';
import { clearLongTimeout, type LongTimeout, MAX_TIMER_MS, setLongTimeout } from '../../core/longTimeout.js';
import { rejectUnknownOptions } from '../../core/optionSchema.js';
import { realSetImmediate } from '../../core/realTimers.js';
import type { Policy, Store, StoreResult } from '../../core/store.js';

export interface MemoryStoreOptions {
  /**
   * Most keys kept at once (over all limiters sharing the store). When full, a new key evicts one that
   * has not been used recently; an evicted key starts again with a full bucket. Default 1,000,000.
   */
  maxKeys?: number;
  /**
   * Most heap bytes the keys and their buckets may take (over all limiters sharing the store), as the store
   * counts them, on the safe side of what V8 uses: per key 122 + 16 per band (32 for a limit whose emission
   * interval is a fraction of a ms), plus its string at 2 bytes a character (+ 16 to 48). A key longer than 64 characters is held as a 65-character SHA-256 digest, so
   * one key of a one-band limiter counts at most 322 bytes, however long it is (an IPv4 address: 170 to 218).
   * When full, a new key evicts as with `maxKeys`. Default 134,217,728 (128 MiB); at least 65,536.
   */
  maxBytes?: number;
  /** How often an `unref`'d timer drops keys whose buckets are full again, or `false` for never. Default `'1m'`. */
  sweepInterval?: Duration | false;
}

const MEMORY_STORE_OPTIONS = ['maxKeys', 'maxBytes', 'sweepInterval'];
const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;
const MIN_MAX_BYTES = 64 * 1024;
// Keys looked at per event-loop turn by the background sweep, so a large store never blocks for long.
const SWEEP_CHUNK = 10_000;
const INITIAL_SLOTS = 1024;

/**
 * The keys of one prefix. Key → slot in a Map (slots are small integers, so the Map holds no heap
 * objects), and the TATs in a Float64Array slab at slot × bands: one double per key and band (whole
 * ms, rounded up), updated in place, nothing allocated per call. Limits whose emission interval is a
 * fraction of a ms also keep, in a second slab, the band units each TAT falls short of its whole ms.
 */
class KeyTable {
  readonly slots = new Map<string, number>();
  /**
   * The CLOCK hand: where the last eviction stopped. Made at the first eviction, not before: a Map
   * iterator keeps every table the Map outgrew alive until it next moves, which while the Map grows
   * to maxKeys would double its memory.
   */
  private hand: Iterator<[string, number]> | undefined;
  tats: Float64Array;
  /** Band units each TAT falls short of `tats`; undefined when every band has scale 1 (never short). */
  shorts: Float64Array | undefined;
  /** CLOCK reference bits: 1 when the slot was used since the eviction hand last passed it. */
  referenced: Uint8Array;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;

  /** Estimated bytes a key takes besides its string (see entryBytes). */
  readonly entryBytes: number;

  constructor(
    readonly stride: number,
    readonly policy: Policy,
    private readonly maxSlots: number,
  ) {
    const slots = Math.min(INITIAL_SLOTS, maxSlots);
    this.tats = new Float64Array(slots * stride);
    this.shorts = policy.bands.some((band) => band.scale !== 1) ? new Float64Array(slots * stride) : undefined;
    this.entryBytes = entryBytes(this.shorts === undefined ? stride : 2 * stride);
    this.referenced = new Uint8Array(slots);
  }

  allocate(key: string): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.nextSlot++;
      if (slot >= this.referenced.length) this.grow();
    }
    this.slots.set(key, slot);
    this.referenced[slot] = 0;
    return slot;
  }

  release(key: string, slot: number): void {
    this.slots.delete(key);
    this.freeSlots.push(slot);
  }

  /**
   * Evicts one key chosen by CLOCK and returns it (second chance): the hand walks the keys in a circle, clears the
   * reference bit of keys used since it last passed, and evicts the first key whose bit is clear.
   * The hand is a Map iterator kept between evictions (Map iterators survive inserts, deletes and
   * rehashing), so each eviction costs O(1) amortised.
   */
  evictOne(): string | undefined {
    const { slots, referenced } = this;
    this.hand ??= slots.entries();
    let hand = this.hand;
    for (let lap = 0; lap < 3; lap++) {
      for (let step = hand.next(); !step.done; step = hand.next()) {
        const [key, slot] = step.value;
        if (referenced[slot] === 1) {
          referenced[slot] = 0;
        } else {
          this.release(key, slot);
          return key;
        }
      }
      // End of the circle: start over.
      hand = slots.entries();
      this.hand = hand;
    }
    return undefined;
  }

  /** True when every band of the slot is full at `now`. */
  isFull(slot: number, now: number): boolean {
    const base = slot * this.stride;
    for (let i = 0; i < this.stride; i++) if ((this.tats[base + i] as number) > now) return false;
    return true;
  }

  private grow(): void {
    const slots = Math.min(this.maxSlots, this.referenced.length * 2);
    const tats = new Float64Array(slots * this.stride);
    tats.set(this.tats);
    if (this.shorts !== undefined) {
      const shorts = new Float64Array(slots * this.stride);
      shorts.set(this.shorts);
      this.shorts = shorts;
    }
    const referenced = new Uint8Array(slots);
    referenced.set(this.referenced);
    this.tats = tats;
    this.referenced = referenced;
  }
}

/**
 * The embedded default store: in-process, synchronous, bounded.
 *
 * Memory stays bounded three ways: a key whose bucket is full again is dropped when next seen and by
 * a background sweep; and `maxKeys` and `maxBytes` cap the number of keys and the bytes they take, evicting
 * by CLOCK, the second-chance approximation of least-recently-used that needs one bit per key instead of a
 * list. Keys longer than 64 characters are held as a SHA-256 digest, so a key's length cannot defeat `maxBytes`.
 */
export class MemoryStore implements Store {
  static {
    brand(MemoryStore, 'MemoryStore');
  }

  /** True for a MemoryStore of any copy of sluice loaded in the process (see RateLimiter). */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asked about, maybe a user's subclass
    return isInstance(this, value);
  }

  readonly synchronous = true;
  readonly maxKeys: number;
  readonly maxBytes: number;
  private readonly tables = new Map<string, KeyTable>();
  private lastPolicy: Policy | undefined;
  private lastTable: KeyTable | undefined;
  private keyCount = 0;
  private byteCount = 0;
  /** Latest time seen in a call: the sweep judges fullness by the limiters' own clock. */
  private latestNow = Number.NEGATIVE_INFINITY;
  private readonly sweepIntervalMs: number | false;
  /**
   * The background sweep's timer: an interval, or for a sweepInterval beyond a Node timer's range (which Node
   * would cut to 1 ms) a long timeout armed again at each pass.
   */
  private sweepTimer: NodeJS.Timeout | LongTimeout | undefined;
  private readonly onSweepTimer = () => this.startSweepPass();
  private sweeping = false;
  private sweepPending: KeyTable[] = [];
  private sweepTable: KeyTable | undefined;
  private sweepEntries: Iterator<[string, number]> | undefined;
  // Reused for every call: the limiter reads a synchronous result before making another call.
  private scratchTats = new Float64Array(1);
  private scratchShorts = new Float64Array(1);
  private aheads = new Float64Array(1);
  private readonly result: { allowed: boolean; now: number; aheads: Float64Array } = {
    allowed: false,
    now: 0,
    aheads: this.aheads,
  };

  constructor(options: MemoryStoreOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new SluiceConfigError('MemoryStore options', options, 'must be an object');
    }
    rejectUnknownOptions(options, MEMORY_STORE_OPTIONS, '');
    const { maxKeys = 1_000_000, maxBytes = DEFAULT_MAX_BYTES, sweepInterval = '1m' } = options;
    if (typeof maxKeys !== 'number' || !Number.isSafeInteger(maxKeys) || maxKeys < 1) {
      throw new SluiceConfigError('maxKeys', maxKeys, 'must be a positive integer');
    }
    if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < MIN_MAX_BYTES) {
      throw new SluiceConfigError('maxBytes', maxBytes, `must be an integer number of bytes ≥ ${MIN_MAX_BYTES}`);
    }
    this.maxKeys = maxKeys;
    this.maxBytes = maxBytes;
    this.sweepIntervalMs = sweepInterval === false ? false : parseDuration(sweepInterval, 'sweepInterval');
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
    const table = policy === this.lastPolicy ? (this.lastTable as KeyTable) : this.tableFor(policy);
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
        slot = this.insert(table, key);
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
    if (key.length > LONGEST_PLAIN_KEY) key = heldKey(key);
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
    for (const table of this.tables.values()) {
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
    this.stopSweepTimer();
    this.sweeping = false;
    this.sweepPending = [];
    this.sweepEntries = undefined;
    this.tables.clear();
    this.lastPolicy = undefined;
    this.lastTable = undefined;
    this.keyCount = 0;
    this.byteCount = 0;
  }

  /**
   * @internal Reserves `policy.namespace` for `policy`'s limits; throws a SluiceConfigError if other limits hold
   * it (only when their fingerprints collide: other limits get another namespace).
   */
  claim(policy: Policy): void {
    this.tableFor(policy);
  }

  private tableFor(policy: Policy): KeyTable {
    let table = this.tables.get(policy.namespace);
    if (table === undefined) {
      const stride = policy.bands.length;
      // No more slots than maxBytes can pay for (at the fewest bytes a key counts), so the slabs stay in budget too.
      const maxSlots = Math.min(this.maxKeys, Math.ceil(this.maxBytes / (entryBytes(stride) + keyBytes('k'))));
      table = new KeyTable(stride, policy, maxSlots);
      this.tables.set(policy.namespace, table);
    } else if (!sameLimits(table.policy, policy)) {
      throw namespaceConflict(table.policy, policy);
    }
    this.lastPolicy = policy;
    this.lastTable = table;
    return table;
  }

  private insert(table: KeyTable, key: string): number {
    // A copy of its own: the caller's string may be a view that keeps a much larger string alive.
    key = ownedKey(key);
    const bytes = table.entryBytes + keyBytes(key);
    while (this.keyCount > 0 && (this.keyCount >= this.maxKeys || this.byteCount + bytes > this.maxBytes)) {
      if (!this.evict(table)) break;
    }
    this.keyCount++;
    this.byteCount += bytes;
    this.startSweep();
    return table.allocate(key);
  }

  /** Evicts one key, from `preferred` if it has any; false if there was none to evict. */
  private evict(preferred: KeyTable): boolean {
    let table = preferred;
    if (table.slots.size === 0) {
      for (const other of this.tables.values()) if (other.slots.size > 0) table = other;
    }
    const key = table.evictOne();
    if (key === undefined) return false;
    this.keyCount--;
    this.byteCount -= table.entryBytes + keyBytes(key);
    return true;
  }

  private drop(table: KeyTable, key: string, slot: number): void {
    table.release(key, slot);
    this.keyCount--;
    this.byteCount -= table.entryBytes + keyBytes(key);
  }

  private startSweep(): void {
    if (this.sweepTimer !== undefined || this.sweepIntervalMs === false) return;
    if (this.sweepIntervalMs > MAX_TIMER_MS) {
      this.sweepTimer = setLongTimeout(this.onSweepTimer, this.sweepIntervalMs, { unref: true });
    } else {
      this.sweepTimer = setInterval(this.onSweepTimer, this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  private stopSweepTimer(): void {
    const timer = this.sweepTimer;
    if (timer === undefined) return;
    if (this.sweepIntervalMs !== false && this.sweepIntervalMs > MAX_TIMER_MS) clearLongTimeout(timer as LongTimeout);
    else clearInterval(timer as NodeJS.Timeout);
    this.sweepTimer = undefined;
  }

  private startSweepPass(): void {
    const interval = this.sweepIntervalMs as number;
    if (interval > MAX_TIMER_MS) this.sweepTimer = setLongTimeout(this.onSweepTimer, interval, { unref: true });
    if (this.sweeping) return; // the previous sweep is still walking a large store
    this.sweeping = true;
    this.sweepPending = [...this.tables.values()];
    this.sweepChunk();
  }

  /** One step of the background sweep: up to SWEEP_CHUNK keys, then yield to the event loop and resume. */
  private sweepChunk(): void {
    const now = this.latestNow;
    let budget = SWEEP_CHUNK;
    while (this.sweepEntries !== undefined || this.sweepPending.length > 0) {
      if (this.sweepEntries === undefined) {
        this.sweepTable = this.sweepPending.shift() as KeyTable;
        // Map iterators stay valid while the map changes, so a later chunk resumes where this one stopped.
        this.sweepEntries = this.sweepTable.slots.entries();
      }
      const table = this.sweepTable as KeyTable;
      for (let step = this.sweepEntries.next(); !step.done; step = this.sweepEntries.next()) {
        const [key, slot] = step.value;
        if (table.isFull(slot, now)) this.drop(table, key, slot);
        if (--budget === 0) {
          realSetImmediate(() => this.sweepChunk());
          return;
        }
      }
      this.sweepEntries = undefined;
    }
    this.sweeping = false;
    if (this.keyCount === 0) this.stopSweepTimer();
  }
}

/**
 * Heap bytes counted for a key besides its string, with `doubles` numbers in the slabs: its Map entry (3 words,
 * and a bucket word per 2 entries; while keys come and go a V8 Map may have 4 entries' room per live key), its
 * numbers and reference bit in the slabs (with room to grow), and its place on the free list once dropped.
 */
function entryBytes(doubles: number): number {
  return 4 * (24 + 4) + 2 * (8 * doubles + 1) + 8;
}

function allZero(values: Float64Array, count: number): boolean {
  for (let i = 0; i < count; i++) if ((values[i] as number) !== 0) return false;
  return true;
}
