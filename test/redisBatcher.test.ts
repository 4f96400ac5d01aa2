import { describe, expect, it } from 'vitest';
import { Batcher, BatchLane } from '../src/stores/redis/batcher.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A Batcher whose flush records each batch's calls and counts it as sent (in flight until `answered`). */
function sendingBatcher(maxBatchSize: number, maxBatchesInFlight: number) {
  const flushes: string[][] = [];
  const batcher: Batcher<string> = new Batcher<string>({
    maxBatchSize,
    maxBatchesInFlight,
    flush: (lane, calls) => {
      flushes.push(calls);
      batcher.sent(lane);
    },
  });
  return { batcher, lane: new BatchLane<string>(''), flushes };
}

describe('Batcher', () => {
  it('flushes a lane once per event-loop turn, however many calls it took: calls added during a flush wait for the next turn', async () => {
    const flushes: string[][] = [];
    let addDuringFlush: (() => void) | undefined;
    const batcher = new Batcher<string>({
      maxBatchSize: 100,
      maxBatchesInFlight: 4,
      flush: (_lane, calls) => {
        flushes.push(calls);
        // As a store's failure callbacks do when they run synchronously and the caller tries again at once.
        const add = addDuringFlush;
        addDuringFlush = undefined;
        add?.();
      },
    });
    const lane = new BatchLane<string>('');
    batcher.add(lane, 'a');
    batcher.add(lane, 'b');
    addDuringFlush = () => batcher.add(lane, 'c');
    await nextTurn();
    // One flush of both calls, and none of `c` in the same turn (nor an empty one).
    expect(flushes).toEqual([['a', 'b']]);
    await nextTurn();
    expect(flushes).toEqual([['a', 'b'], ['c']]);
  });

  it('holds a lane that has maxBatchesInFlight batches out until one is answered, unless a full batch waits', async () => {
    const { batcher, lane, flushes } = sendingBatcher(3, 1);
    batcher.add(lane, 'a');
    await nextTurn();
    batcher.add(lane, 'b');
    await nextTurn();
    expect(flushes).toEqual([['a']]);
    batcher.answered(lane);
    await nextTurn();
    expect(flushes).toEqual([['a'], ['b']]);
    batcher.add(lane, 'c');
    batcher.add(lane, 'd');
    await nextTurn();
    expect(flushes).toEqual([['a'], ['b']]);
    batcher.add(lane, 'e');
    await nextTurn();
    expect(flushes).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
  });

  it('an answered batch with no call waiting schedules no flush, and a lane that is due is listed once', async () => {
    const { batcher, lane, flushes } = sendingBatcher(10, 2);
    batcher.add(lane, 'a');
    await nextTurn();
    expect(flushes).toEqual([['a']]);
    batcher.answered(lane);
    await nextTurn();
    expect(flushes).toEqual([['a']]);
    // Due (one batch out, one more allowed): an answer in the same turn does not list the lane again.
    batcher.add(lane, 'b');
    batcher.answered(lane);
    await nextTurn();
    expect(flushes).toEqual([['a'], ['b']]);
  });
});
