import type { Policy } from '../../core/store.js';
import { ClockHand } from './clockEviction.js';
import { ExpiryHand } from './expiryHand.js';

/** Slots a table starts with; it doubles from there, up to its maximum. */
const INITIAL_SLOTS = 1024;

/**
 * The keys of one namespace. Key → slot in a Map (slots are small integers, so the Map holds no heap
 * objects), and the TATs in a Float64Array slab at slot × bands: one double per key and band (whole
 * ms, rounded up), updated in place, nothing allocated per call. Limits whose emission interval is a
 * fraction of a ms also keep, in a second slab, the band units each TAT falls short of its whole ms.
 */
export class KeyTable {
  readonly slots = new Map<string, number>();
  tats: Float64Array;
  /** Band units each TAT falls short of `tats`; undefined when every band has scale 1 (never short). */
  shorts: Float64Array | undefined;
  /** CLOCK reference bits: 1 when the slot was used since the eviction hand last passed it. */
  referenced: Uint8Array;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly clock = new ClockHand();
  /** Drops keys that are full again as new keys come: two looked at per new key. */
  private readonly expiry = new ExpiryHand(2);

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

  /** Gives `key` a slot (reference bit clear); the slabs may grow, so read them after. */
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

  /** Looks at the next few keys in the expiry hand's round and calls `drop` for those whose buckets are full at `now`. */
  expireSome(now: number, drop: (table: KeyTable, key: string, slot: number) => void): void {
    this.expiry.advance(this, now, drop);
  }

  /** Evicts one key chosen by CLOCK and returns it; undefined when the table is empty. */
  evictOne(): string | undefined {
    return this.clock.evictOne(this);
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
 * Heap bytes counted for a key besides its string, with `doubles` numbers in the slabs: its Map entry (3 words,
 * and a bucket word per 2 entries; while keys come and go a V8 Map may have 4 entries' room per live key), its
 * numbers and reference bit in the slabs (with room to grow), and its place on the free list once dropped.
 */
export function entryBytes(doubles: number): number {
  return 4 * (24 + 4) + 2 * (8 * doubles + 1) + 8;
}
