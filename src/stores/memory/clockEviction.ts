/** What CLOCK eviction needs of a key table: its key → slot map, the reference bits, and a way to free a slot. */
export interface ClockTable {
  readonly slots: Map<string, number>;
  readonly referenced: Uint8Array;
  release(key: string, slot: number): void;
}

/**
 * CLOCK, the second-chance approximation of least-recently-used that needs one bit per key instead of a
 * list: the hand walks the keys in a circle, clears the reference bit of keys used since it last passed,
 * and evicts the first key whose bit is clear.
 */
export class ClockHand {
  /**
   * Where the last eviction stopped: a Map iterator kept between evictions (Map iterators survive inserts,
   * deletes and rehashing), so each eviction costs O(1) amortised. Made at the first eviction, not before:
   * a Map iterator keeps every table the Map outgrew alive until it next moves, which while the Map grows
   * to maxKeys would double its memory.
   */
  private hand: Iterator<[string, number]> | undefined;

  /** Evicts one key of `table` (releasing its slot) and returns it; undefined when the table has none. */
  evictOne(table: ClockTable): string | undefined {
    const { slots, referenced } = table;
    if (slots.size === 0) return undefined;
    this.hand ??= slots.entries();
    let hand = this.hand;
    // Ends within three laps: the rest of the circle from where the hand stopped, a whole lap that clears every bit
    // still set, and the start of one more that finds a clear one.
    for (;;) {
      for (let step = hand.next(); !step.done; step = hand.next()) {
        const [key, slot] = step.value;
        if (referenced[slot] === 1) {
          referenced[slot] = 0;
        } else {
          table.release(key, slot);
          return key;
        }
      }
      // End of the circle: start over.
      hand = slots.entries();
      this.hand = hand;
    }
  }
}
