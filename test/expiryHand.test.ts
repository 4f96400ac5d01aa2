import { describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { ExpiryHand } from '../src/stores/memory/expiryHand.js';
import { decisionView } from './decisionView.js';
import { GcraModel } from './gcraModel.js';

/** A table of keys whose buckets are full from a given time on: the hand's view of a KeyTable. */
function fakeTable(fullAt: Record<string, number>) {
  const slots = new Map(Object.keys(fullAt).map((key, slot) => [key, slot]));
  const keys = Object.keys(fullAt);
  return { slots, isFull: (slot: number, now: number) => (fullAt[keys[slot] as string] as number) <= now };
}

describe('ExpiryHand', () => {
  it('looks at `steps` keys per call, oldest first, and drops those full at now', () => {
    const table = fakeTable({ a: 0, b: 50, c: 0, d: 0 });
    const dropped: string[] = [];
    const hand = new ExpiryHand(2);
    const drop = (t: typeof table, key: string) => {
      dropped.push(key);
      t.slots.delete(key);
    };
    hand.advance(table, 10, drop);
    expect(dropped).toEqual(['a']); // b is not full yet
    hand.advance(table, 10, drop);
    expect(dropped).toEqual(['a', 'c', 'd']);
    // End of the table: the next call starts a new round, where b is full by now.
    hand.advance(table, 10, drop);
    hand.advance(table, 60, drop);
    expect(dropped).toEqual(['a', 'c', 'd', 'b']);
    expect(table.slots.size).toBe(0);
  });

  it('sees keys added after it started, and keeps going after keys it passed are deleted', () => {
    const table = fakeTable({ a: 100, b: 100 });
    const dropped: string[] = [];
    const hand = new ExpiryHand(1);
    const drop = (t: typeof table, key: string) => {
      dropped.push(key);
      t.slots.delete(key);
    };
    hand.advance(table, 0, drop); // passes a
    table.slots.delete('a');
    table.slots.set('z', 0); // slot 0 is a's: full at 100
    hand.advance(table, 200, drop);
    hand.advance(table, 200, drop);
    expect(dropped).toEqual(['b', 'z']);
  });
});

describe('MemoryStore forgets keys that are full again as new keys arrive', () => {
  it('a key used once is gone soon after its bucket refilled, without the background sweep', () => {
    const store = new MemoryStore({ sweepInterval: false });
    const clock = { now: 0 };
    // One token per 10 ms: a key that took one token is full again 10 ms later.
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: 10, store, clock: () => clock.now });
    let largest = 0;
    for (let i = 0; i < 10_000; i++) {
      clock.now = i;
      expect(limiter.consumeSync(`client-${i}`).allowed).toBe(true);
      largest = Math.max(largest, store.size);
    }
    // Keys of the last 10 ms, and the ones the hand has not reached yet: far fewer than 10,000.
    expect(largest).toBeLessThanOrEqual(30);
  });

  it('keeps every key whose bucket is not full, and decides for each as the reference model does', () => {
    const store = new MemoryStore({ sweepInterval: false });
    const clock = { now: 1_000 };
    const limit = { capacity: 3, refillRate: 1, interval: 10_000 };
    const limiter = new RateLimiter({ ...limit, store, clock: () => clock.now });
    const models = new Map<string, GcraModel>();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2_000; i++) {
        clock.now += 1; // 2,000 ms a round: a bucket refills a fifth of a token meanwhile, so it is never full
        const key = `client-${i}`;
        let model = models.get(key);
        if (model === undefined) {
          model = new GcraModel([limit]);
          models.set(key, model);
        }
        expect(decisionView(limiter.consumeSync(key))).toEqual(decisionView(model.call(clock.now, 1)));
      }
    }
    expect(store.size).toBe(2_000);
  });
});
