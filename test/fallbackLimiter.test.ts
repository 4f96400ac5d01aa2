import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  applyCall,
  CostExceedsCapacityError,
  type DegradedEvent,
  MemoryStore,
  type Policy,
  RateLimiter,
  SluiceStoreError,
  type Store,
  type StoreResult,
  StoreTimeoutError,
} from '../src/index.js';

/**
 * A user-written asynchronous store whose backend is down for `update` (it rejects, or never answers) while
 * `reset` still works: the kind of store a fallback limiter stands in for.
 */
class DownStore implements Store {
  readonly synchronous = false;
  resets = 0;
  constructor(readonly mode: 'reject' | 'hang') {}
  update(): Promise<StoreResult> {
    return this.mode === 'reject' ? Promise.reject(new Error('backend down')) : new Promise<StoreResult>(() => {});
  }
  reset(): Promise<void> {
    this.resets++;
    return Promise.resolve();
  }
}

/**
 * A user-written asynchronous store that works: the TATs of each key in a Map, decided with `applyCall`, the
 * answer delivered on a later turn of the event loop (as a networked store's would be).
 */
class TurnStore implements Store {
  readonly synchronous = false;
  private readonly tats = new Map<string, number[]>();
  private readonly shorts = new Map<string, number[]>();
  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): Promise<StoreResult> {
    const name = policy.namespace + key;
    const tats = this.tats.get(name) ?? policy.bands.map(() => now);
    const shorts = this.shorts.get(name) ?? policy.bands.map(() => 0);
    const aheads: number[] = [];
    const allowed = applyCall(policy.bands, tats, shorts, 0, now, cost, slackMs, aheads);
    this.tats.set(name, tats);
    this.shorts.set(name, shorts);
    return new Promise((resolve) => setImmediate(() => resolve({ allowed, now, aheads })));
  }
  reset(policy: Policy, key: string): Promise<void> {
    this.tats.delete(policy.namespace + key);
    this.shorts.delete(policy.namespace + key);
    return Promise.resolve();
  }
}

/** A synchronous store whose every call throws: a backend failing before a promise could be made. */
const throwingStore: Store = {
  synchronous: true,
  update: () => {
    throw new Error('sync backend down');
  },
  reset: () => undefined,
};

const clockAt = (now: number) => () => now;

describe('a fallback limiter answers for a failed store', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('for an asynchronous store that rejects: its decisions, marked degraded, reported as fallback', async () => {
    const events: DegradedEvent[] = [];
    const fallback = new RateLimiter({ capacity: 3, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const limiter = new RateLimiter({
      capacity: 100,
      refillRate: 1,
      store: new DownStore('reject'),
      onStoreError: fallback,
      onDegraded: (event) => events.push(event),
    });
    expect(await limiter.consume('k', 2)).toEqual({ ...(await fallback.peek('k')), allowed: true, degraded: true });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true, limit: 3, remaining: 0 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: true, limit: 3, retryAfterMs: 3_600_000 });
    expect(events.map((event) => [event.key, event.policy, (event.error as Error).message])).toEqual([
      ['k', 'fallback', 'backend down'],
      ['k', 'fallback', 'backend down'],
      ['k', 'fallback', 'backend down'],
    ]);
    // The fallback's own state is what answered: it is empty too.
    expect((await fallback.consume('k')).allowed).toBe(false);
  });

  it('a cost above the fallback’s capacity is cut to it, on the asynchronous and the synchronous path', async () => {
    const fallback = new RateLimiter({ capacity: 3, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const asyncLimiter = new RateLimiter({ capacity: 10, refillRate: 1, store: new DownStore('reject'), onStoreError: fallback });
    expect(await asyncLimiter.consume('a', 8)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
    const syncLimiter = new RateLimiter({ capacity: 10, refillRate: 1, store: throwingStore, onStoreError: fallback });
    expect(syncLimiter.consumeSync('b', 8)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
    expect(syncLimiter.consumeSync('b', 1)).toMatchObject({ allowed: false, degraded: true });
    // Above the primary's own capacity stays an argument error, not a store failure.
    await expect(asyncLimiter.consume('a', 11)).rejects.toBeInstanceOf(CostExceedsCapacityError);
  });

  it('a per-band cost asks the fallback for its largest part, whichever band it is in; a per-band refund only looks', async () => {
    const fallback = new RateLimiter({ capacity: 10, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const limits = [
      { capacity: 20, refillRate: 20, interval: '1m', name: 'requests' },
      { capacity: 5_000, refillRate: 5_000, interval: '1m', name: 'tokens' },
      { capacity: 50, refillRate: 50, interval: '1h', name: 'images' },
    ] as const;
    const asyncLimiter = new RateLimiter({ limits, store: new DownStore('reject'), onStoreError: fallback });
    expect(await asyncLimiter.consume('a', { requests: 1, tokens: 4, images: 2 })).toMatchObject({ degraded: true, remaining: 6 });
    expect(await asyncLimiter.consume('a', { requests: 3, tokens: 0, images: 1 })).toMatchObject({ degraded: true, remaining: 3 });
    expect(await asyncLimiter.refund('a', { requests: 1, tokens: 2, images: 0 })).toMatchObject({ degraded: true, remaining: 3 });
    const syncLimiter = new RateLimiter({ limits, store: throwingStore, onStoreError: fallback });
    expect(syncLimiter.consumeSync('b', { requests: 0, tokens: 0, images: 7 })).toMatchObject({ degraded: true, remaining: 3 });
    // Above the fallback's capacity: cut to it.
    expect(syncLimiter.consumeSync('c', { requests: 1, tokens: 400, images: 1 })).toMatchObject({
      allowed: true,
      degraded: true,
      remaining: 0,
    });
  });

  it('a charge on a failed store is a charge on the fallback: never refused, its debt kept, on every path', async () => {
    // Each path of the store call: a synchronous store that throws, an asynchronous one that rejects, one that
    // never answers (the timeout), and one that answers through updateInto with a failure.
    const failingInto: Store = {
      synchronous: false,
      update: () => Promise.reject(new Error('unused')),
      updateInto: (_policy, _key, _cost, _slackMs, _now, callback) => callback.fail(new Error('backend down')),
      reset: () => Promise.resolve(),
    };
    // And answers that are not a StoreResult, which are store failures too: through a promise, and through updateInto.
    const malformed: Store = { synchronous: false, update: () => Promise.resolve({} as StoreResult), reset: () => Promise.resolve() };
    const malformedInto: Store = {
      synchronous: false,
      update: () => Promise.reject(new Error('unused')),
      updateInto: (_policy, _key, _cost, _slackMs, _now, callback) => callback.settle({} as StoreResult),
      reset: () => Promise.resolve(),
    };
    const stores: [Store, number?][] = [
      [throwingStore],
      [new DownStore('reject')],
      [new DownStore('hang'), 5],
      [failingInto],
      [malformed],
      [malformedInto],
    ];
    const limiters = () =>
      stores.map(([store, timeoutMs]) => {
        const fallback = new RateLimiter({ capacity: 10, refillRate: 1, interval: '1h', clock: clockAt(0) });
        return {
          fallback,
          limiter: new RateLimiter({ capacity: 100, refillRate: 1, store, onStoreError: fallback, ...(timeoutMs ? { timeoutMs } : {}) }),
        };
      });
    for (const { fallback, limiter } of limiters()) {
      await fallback.consume('k', 4);
      // 6 tokens left: a consume of 8 would be refused and take nothing; the charge takes all 8, 2 of them in debt.
      expect(await limiter.charge('k', 8)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
      expect((await fallback.peek('k')).resetMs).toBe(12 * 3_600_000);
      // Beyond the fallback's capacity too: the debt is the charge's, not cut to a consume's largest cost.
      expect(await limiter.charge('j', 25)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
      expect((await fallback.peek('j')).resetMs).toBe(25 * 3_600_000);
      // A refund on a bucket in debt is answered, not refused: the fallback looks at unbounded slack.
      expect(await limiter.refund('k', 3)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
      expect((await fallback.peek('k')).resetMs).toBe(12 * 3_600_000);
    }
    const [sync] = limiters();
    const { fallback, limiter } = sync as { fallback: RateLimiter; limiter: RateLimiter };
    expect(limiter.chargeSync('s', 12)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
    expect(fallback.consumeSync('s', 0).resetMs).toBe(12 * 3_600_000);
    expect(limiter.refundSync('s', 1)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
    expect(fallback.consumeSync('s', 0).resetMs).toBe(12 * 3_600_000);
  });

  it('a fallback from a copy of sluice without charge (0.1.0) is asked to consume instead', async () => {
    const older = new RateLimiter({ capacity: 10, refillRate: 1, interval: '1h', clock: clockAt(0) });
    // What a copy of sluice from before `charge` is: a RateLimiter without it.
    Object.assign(older, { charge: undefined, chargeSync: undefined });
    const asyncLimiter = new RateLimiter({ capacity: 100, refillRate: 1, store: new DownStore('reject'), onStoreError: older });
    expect(await asyncLimiter.charge('a', 25)).toMatchObject({ allowed: true, degraded: true, remaining: 0 });
    expect((await older.peek('a')).resetMs).toBe(10 * 3_600_000);
    const syncLimiter = new RateLimiter({ capacity: 100, refillRate: 1, store: throwingStore, onStoreError: older });
    expect(syncLimiter.chargeSync('b', 4)).toMatchObject({ allowed: true, degraded: true, remaining: 6 });
    expect(syncLimiter.chargeSync('b', 7)).toMatchObject({ allowed: false, degraded: true, remaining: 6 });
  });

  it('for a store that never answers: after timeoutMs, with a StoreTimeoutError reported', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const events: DegradedEvent[] = [];
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const limiter = new RateLimiter({
      capacity: 100,
      refillRate: 1,
      store: new DownStore('hang'),
      timeoutMs: 80,
      onStoreError: fallback,
      onDegraded: (event) => events.push(event),
    });
    let settled: unknown;
    const pending = limiter.consume('k', 2).then((decision) => {
      settled = decision;
    });
    await vi.advanceTimersByTimeAsync(79);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2);
    await pending;
    expect(settled).toMatchObject({ allowed: true, degraded: true, limit: 2, remaining: 0 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ key: 'k', policy: 'fallback' });
    expect(events[0]?.error).toBeInstanceOf(StoreTimeoutError);
  });

  it('a fallback limiter on an asynchronous store of its own decides through that store', async () => {
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store: new TurnStore(), clock: clockAt(0) });
    const limiter = new RateLimiter({ capacity: 50, refillRate: 1, store: new DownStore('reject'), onStoreError: fallback });
    const decisions = [await limiter.consume('k'), await limiter.consume('k'), await limiter.consume('k')];
    expect(decisions.map((d) => [d.allowed, d.remaining, d.degraded])).toEqual([
      [true, 1, true],
      [true, 0, true],
      [false, 0, true],
    ]);
    expect(await fallback.peek('k')).toMatchObject({ allowed: true, remaining: 0, degraded: false });
  });

  it('wait() on a failed store resolves with the fallback’s decision', async () => {
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const limiter = new RateLimiter({ capacity: 50, refillRate: 1, store: new DownStore('reject'), onStoreError: fallback });
    expect(await limiter.wait('k', 2, { maxWaitMs: 1_000 })).toMatchObject({ allowed: true, degraded: true, limit: 2, remaining: 0 });
    expect(await limiter.wait('k', 1, { maxWaitMs: 1_000 })).toMatchObject({ allowed: false, degraded: true, limit: 2 });
  });

  it('wait() on a failed store resolves with the decision of a fallback on an asynchronous store', async () => {
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store: new TurnStore(), clock: clockAt(0) });
    const limiter = new RateLimiter({ capacity: 50, refillRate: 1, store: new DownStore('reject'), onStoreError: fallback });
    expect(await limiter.wait('k', 2, { maxWaitMs: 1_000 })).toMatchObject({ allowed: true, degraded: true, limit: 2, remaining: 0 });
    expect(await limiter.wait('k', 1, { maxWaitMs: 1_000 })).toMatchObject({ allowed: false, degraded: true, limit: 2 });
  });

  it('reset() fills the fallback’s bucket too, once the store has reset its own', async () => {
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', clock: clockAt(0) });
    const store = new DownStore('reject');
    const limiter = new RateLimiter({ capacity: 50, refillRate: 1, store, onStoreError: fallback });
    await limiter.consume('k', 2);
    expect((await fallback.peek('k')).remaining).toBe(0);
    await limiter.reset('k');
    expect(store.resets).toBe(1);
    expect((await fallback.peek('k')).remaining).toBe(2);
  });

  it('reset() fills the fallback’s bucket also when the store fails to reset, and rejects with the store’s failure', async () => {
    const fallback = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', clock: clockAt(0) });
    // Down for every call, reset too: the fallback answers for the key, so its bucket is what a reset must fill.
    const store: Store = {
      synchronous: false,
      update: () => Promise.reject(new Error('down')),
      reset: () => Promise.reject(new Error('down')),
    };
    const limiter = new RateLimiter({ capacity: 50, refillRate: 1, store, onStoreError: fallback });
    await limiter.charge('k', 30);
    expect((await limiter.consume('k')).allowed).toBe(false);
    const failed = await limiter.reset('k').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(SluiceStoreError);
    expect(((failed as SluiceStoreError).cause as Error).message).toBe('down');
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true, remaining: 1 });
  });

  it('reset() rejects with the fallback’s failure when only the fallback fails, and with the store’s when both do', async () => {
    const resetFails = (message: string): Store => ({
      synchronous: false,
      update: () => Promise.reject(new Error('down')),
      reset: () => Promise.reject(new Error(message)),
    });
    const brokenFallback = () => new RateLimiter({ capacity: 2, refillRate: 1, store: resetFails('fallback reset down') });
    const working = new RateLimiter({ capacity: 50, refillRate: 1, store: new DownStore('reject'), onStoreError: brokenFallback() });
    const fallbackFailure = await working.reset('k').then(
      () => undefined,
      (error: unknown) => error as SluiceStoreError,
    );
    expect(fallbackFailure).toBeInstanceOf(SluiceStoreError);
    expect((fallbackFailure?.cause as Error | undefined)?.message).toBe('fallback reset down');
    const store: Store = {
      synchronous: false,
      update: () => Promise.reject(new Error('down')),
      reset: () => Promise.reject(new Error('store reset down')),
    };
    const both = new RateLimiter({ capacity: 50, refillRate: 1, store, onStoreError: brokenFallback() });
    const bothFailure = await both.reset('k').then(
      () => undefined,
      (error: unknown) => error as SluiceStoreError,
    );
    expect((bothFailure?.cause as Error | undefined)?.message).toBe('store reset down');
  });
});

describe('a multi-band limiter', () => {
  it('takes the smallest capacity as the cost limit, whichever band holds it', async () => {
    for (const limits of [
      [
        { capacity: 3, refillRate: 1, interval: '1s' as const },
        { capacity: 10, refillRate: 10, interval: '1h' as const },
      ],
      [
        { capacity: 10, refillRate: 10, interval: '1h' as const },
        { capacity: 3, refillRate: 1, interval: '1s' as const },
        { capacity: 7, refillRate: 1, interval: '1m' as const },
      ],
    ]) {
      const limiter = new RateLimiter({ limits, store: new MemoryStore({ sweepInterval: false }), clock: clockAt(0) });
      await expect(limiter.consume('k', 4)).rejects.toThrow(CostExceedsCapacityError);
      await expect(limiter.consume('k', 4)).rejects.toMatchObject({ cost: 4, capacity: 3 });
      expect(() => limiter.consumeSync('k', 4)).toThrow(CostExceedsCapacityError);
      await expect(limiter.wait('k', 4, { maxWaitMs: 10_000 })).rejects.toBeInstanceOf(CostExceedsCapacityError);
      expect(await limiter.consume('k', 3)).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    }
  });
});
