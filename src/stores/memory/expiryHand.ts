/** What the expiry hand needs of a key table: its key → slot map and whether a slot's buckets are full. */
export interface ExpiringTable {
  readonly slots: Map<string, number>;
  isFull(slot: number, now: number): boolean;
}

/**
 * Forgets keys whose buckets are full again a few at a time, as new keys arrive, instead of only at the
 * background sweep. A full bucket is the same as no entry, so this changes no decision; it keeps a table whose keys
 * are mostly used once (one request per client, a new key per request) at the keys of the last few emission
 * intervals instead of the last sweep interval, which is far less for the collector to walk and copy.
 *
 * The hand walks the Map in insertion order, oldest first: the keys most likely full again. Each new key moves it
 * `steps` entries, so it goes round the table faster than the table grows.
 */
export class ExpiryHand {
  /** A Map iterator kept between calls (Map iterators survive inserts, deletes and rehashing). */
  private hand: Iterator<[string, number]> | undefined;

  constructor(private readonly steps: number) {}

  /** Moves the hand `steps` entries over `table`, calling `drop` for each key whose buckets are full at `now`. */
  advance<T extends ExpiringTable>(table: T, now: number, drop: (table: T, key: string, slot: number) => void): void {
    let hand = this.hand ?? table.slots.entries();
    for (let step = 0; step < this.steps; step++) {
      const next = hand.next();
      if (next.done) {
        // End of the table: start the next lap at the next new key.
        hand = table.slots.entries();
        break;
      }
      const [key, slot] = next.value;
      if (table.isFull(slot, now)) drop(table, key, slot);
    }
    this.hand = hand;
  }
}
