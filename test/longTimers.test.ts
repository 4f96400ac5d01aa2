/**
 * The store and timeout timers the library sets (wait()'s is tested in wait.test.ts, setLongTimeout itself in
 * longTimeout.test.ts), at delays beyond setTimeout's range (2^31 − 1 ms, which Node turns into 1 ms): each
 * must fire after its whole delay, and never hand setTimeout a delay it would shorten.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../src/core/longTimeout.js';
import { MemoryStore, RateLimiter, type Store, type StoreResult } from '../src/index.js';
import { FailingStore } from './setup/failingStore.js';

const DAY = 86_400_000;

/** Fake timers (performance.now and Date included), recording every delay handed to setTimeout. */
function fakeTimers(): number[] {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date', 'performance'] });
  const delays: number[] = [];
  const fake = globalThis.setTimeout;
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, delay?: number) => {
    delays.push(delay ?? 0);
    return fake(callback, delay);
  }) as typeof setTimeout);
  return delays;
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('MemoryStore sweepInterval beyond setTimeout range', () => {
  it("'30d' sweeps after 30 days, not every ms", async () => {
    const delays = fakeTimers();
    const clock = { now: 0 };
    const store = new MemoryStore({ sweepInterval: '30d' });
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', store, clock: () => clock.now });
    for (let i = 0; i < 1_000; i++) limiter.consumeSync(`k${i}`);
    clock.now = 10_000; // every bucket is full again: the next sweep drops them all
    limiter.consumeSync('late'); // tells the store the time (a new key: it also drops the two oldest, full keys)
    expect(store.size).toBe(999);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.size).toBe(999); // no sweep yet
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(store.size).toBe(1); // 'late' is not full at the store's latest time
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS);
    // Two steps per 30 days (24.8 + 5.2), not one timer per ms.
    expect(delays.length).toBeLessThan(10);
    store.close();
  });
});

/** How many calls the limiter's timeout queue holds. */
function queuedDeadlines(limiter: RateLimiter): number {
  type Entry = { next: Entry | undefined };
  let queued = 0;
  for (
    let entry = (limiter as unknown as { call: { deadlines: { head: Entry | undefined } } }).call.deadlines.head;
    entry;
    entry = entry.next
  ) {
    queued++;
  }
  return queued;
}

describe('RateLimiter timeoutMs beyond setTimeout range', () => {
  it('a store that never answers is cut off after 3e9 ms, without a 1 ms timer spinning meanwhile', async () => {
    const delays = fakeTimers();
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, store: new FailingStore('hang'), timeoutMs: 3e9, onStoreError: 'deny' });
    let answered: unknown;
    void limiter.consume('k').then((decision) => {
      answered = decision;
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(answered).toBeUndefined();
    expect(delays.length).toBeLessThan(5);
    await vi.advanceTimersByTimeAsync(3e9);
    expect(answered).toMatchObject({ allowed: false, degraded: true });
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_MS + 1);
  });

  it('answered calls do not pile up in the timeout queue while a long timeout runs', async () => {
    const limiter = new RateLimiter({ capacity: 1e6, refillRate: 1, store: new AsyncStore(), timeoutMs: 20 * DAY });
    for (let i = 0; i < 10_000; i++) await limiter.consume(`k${i % 10}`);
    expect(queuedDeadlines(limiter)).toBeLessThanOrEqual(1);
    expect((await limiter.peek('k1')).remaining).toBe(1e6 - 1_000);
  });

  it('failed calls do not pile up in the timeout queue either', async () => {
    const events: unknown[] = [];
    const limiter = new RateLimiter({
      capacity: 10,
      refillRate: 1,
      store: new FailingStore('reject'),
      timeoutMs: 20 * DAY,
      onDegraded: (event) => events.push(event),
    });
    for (let i = 0; i < 1_000; i++) await limiter.consume(`k${i % 10}`);
    expect(queuedDeadlines(limiter)).toBeLessThanOrEqual(1);
    expect(events).toHaveLength(1_000);
  });
});

describe('no TimeoutOverflowWarning with real timers', () => {
  it('long sweepInterval and timeoutMs set no timer Node would shorten', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const store = new MemoryStore({ sweepInterval: '30d' });
      const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h', store });
      limiter.consumeSync('a');
      const hanging = new RateLimiter({ capacity: 1, refillRate: 1, store: new FailingStore('hang'), timeoutMs: 3e9 });
      let answered = false;
      void hanging.consume('k').then(() => {
        answered = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(store.size).toBe(1);
      expect(answered).toBe(false);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      store.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
});

/** A MemoryStore behind promises, as a networked store answers (so calls take the timeout path). */
class AsyncStore implements Store {
  readonly synchronous = false;
  private readonly inner = new MemoryStore({ sweepInterval: false });
  update(...args: Parameters<Store['update']>): Promise<StoreResult> {
    const result = this.inner.update(...args);
    return Promise.resolve({ allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) });
  }
  reset(): void {}
}
