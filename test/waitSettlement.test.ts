/**
 * How a wait() is answered, once: by the store's reservation (at once or when its tokens are due), by an abort,
 * or by onStoreError. After the answer the wait leaves nothing behind: no listener on the signal, no timer, no
 * second report of a failure. An abort while the reservation is on its way gives back what it took, per band.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DegradedEvent, type Policy, RateLimiter, type StoreResult } from '../src/index.js';
import { FailingStore } from './setup/failingStore.js';
import { SlowStore } from './setup/slowStore.js';

/** A SlowStore that counts the calls it gets. */
class CountingSlowStore extends SlowStore {
  updates = 0;
  override update(policy: Policy, key: string, cost: number, slackMs: number, now: number): Promise<StoreResult> {
    this.updates++;
    return super.update(policy, key, cost, slackMs, now);
  }
}

/** Settles to 'rejected: reason' or the decision, without an unhandled rejection. */
function outcome<T>(promise: Promise<T>): Promise<T | { rejected: unknown }> {
  return promise.then(
    (value) => value,
    (reason: unknown) => ({ rejected: reason }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('an abort while the reservation is on its way to the store', () => {
  it('gives back each band its part of a per-band cost once the reservation lands', async () => {
    const store = new SlowStore(20);
    const limiter = new RateLimiter({
      store,
      limits: [
        { capacity: 2, refillRate: 1, interval: '1h', name: 'requests' },
        { capacity: 100, refillRate: 1, interval: '1h', name: 'tokens' },
      ],
    });
    const controller = new AbortController();
    const wait = outcome(limiter.wait('k', { requests: 1, tokens: 30 }, { maxWaitMs: 1000, signal: controller.signal }));
    controller.abort('gone');
    expect(await wait).toEqual({ rejected: 'gone' });
    await sleep(80);
    expect((await limiter.peek('k')).bands?.map((band) => band.remaining)).toEqual([2, 100]);
    store.close();
  });

  it('a wait of cost 0 (a look) sends the store nothing to give back', async () => {
    const store = new CountingSlowStore(20);
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store });
    const controller = new AbortController();
    const wait = outcome(limiter.wait('k', 0, { maxWaitMs: 1000, signal: controller.signal }));
    controller.abort('gone');
    expect(await wait).toEqual({ rejected: 'gone' });
    await sleep(80);
    expect(store.updates).toBe(1);
    store.close();
  });
});

describe('once a wait is answered', () => {
  it('it no longer listens to its signal: granted at once, granted later, denied, or answered by onStoreError', async () => {
    const store = new SlowStore(5);
    const limiter = new RateLimiter({ capacity: 1, refillRate: 50, interval: '1s', store });
    const failing = new RateLimiter({ capacity: 1, refillRate: 1, store: new FailingStore('reject') });
    const controller = new AbortController();
    const { signal } = controller;
    const waits: [string, () => Promise<unknown>][] = [
      ['granted at once', () => limiter.wait('k', 1, { maxWaitMs: 1000, signal })],
      ['granted 20 ms later', () => limiter.wait('k', 1, { maxWaitMs: 1000, signal })],
      ['denied', () => limiter.wait('k', 1, { maxWaitMs: 0, signal })],
      ['answered by onStoreError', () => failing.wait('k', 1, { maxWaitMs: 1000, signal })],
    ];
    for (const [what, wait] of waits) {
      const pending = wait();
      expect(getEventListeners(signal, 'abort'), `${what}: while pending`).toHaveLength(1);
      await pending;
      expect(getEventListeners(signal, 'abort'), what).toHaveLength(0);
    }
    store.close();
  });

  it('by onStoreError, a store failure is reported once, though both the store call and its timeout race end in it', async () => {
    const events: DegradedEvent[] = [];
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, store: new FailingStore('reject'), onDegraded: (e) => events.push(e) });
    expect(await limiter.wait('k', 1, { maxWaitMs: 1000 })).toMatchObject({ allowed: true, degraded: true });
    await sleep(20);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ key: 'k', policy: 'allow' });
  });

  it('by a timeout, a reservation that lands later sets no timer for tokens nobody waits for', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
    const store = new SlowStore(200);
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', store, timeoutMs: 100 });
    void limiter.consume('k');
    await vi.advanceTimersByTimeAsync(250);
    let answered: unknown;
    void limiter.wait('k', 1, { maxWaitMs: 10_000 }).then((decision) => {
      answered = decision;
    });
    await vi.advanceTimersByTimeAsync(150);
    expect(answered).toMatchObject({ allowed: true, degraded: true });
    // The reservation lands at 200 ms, its token due about 750 ms later: nothing waits for it.
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
    store.close();
  });
});
