/**
 * An asynchronous store that answers through `updateInto` (as RedisStore does), written here as a user would: the
 * limiter calls it instead of `update`, and its callback is the call's timeout entry. Answers in time, at once,
 * late, never, or a throw: each is answered once, by the store or by `onStoreError`, and nothing after the answer
 * counts. Also: calls made at different times each time out at their own deadline.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BandCosts,
  type DegradedEvent,
  MemoryStore,
  type Policy,
  RateLimiter,
  type Store,
  type StoreCallback,
  type StoreResult,
  StoreTimeoutError,
} from '../src/index.js';
import { FailingStore } from './setup/failingStore.js';
import { SlowStore } from './setup/slowStore.js';

type Answer = 'later' | 'now' | 'throw' | 'never';

/** A MemoryStore's decisions through `updateInto`, answered as `answer` says; `update` is not its way. */
class CallbackStore implements Store {
  readonly synchronous = false;
  readonly held: StoreCallback[] = [];
  updates = 0;
  private readonly inner = new MemoryStore({ sweepInterval: false });

  constructor(readonly answer: Answer) {}

  update(): Promise<StoreResult> {
    this.updates++;
    return Promise.reject(new Error('update is not this store’s way'));
  }

  updateInto(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number, callback: StoreCallback): void {
    if (this.answer === 'throw') throw new Error('updateInto down');
    const result = this.inner.update(policy, key, cost, slackMs, now);
    const copy: StoreResult = { allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) };
    if (this.answer === 'now') callback.settle(copy);
    else if (this.answer === 'later') setImmediate(() => callback.settle(copy));
    else this.held.push(callback);
  }

  reset(policy: Policy, key: string): void {
    this.inner.reset(policy, key);
  }
}

function limiterOn(store: Store, options: { timeoutMs?: number } = {}) {
  const events: DegradedEvent[] = [];
  const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store, onDegraded: (e) => events.push(e), ...options });
  return { limiter, events };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('a store with updateInto', () => {
  it('is called through updateInto, not update, and its answers decide', async () => {
    const store = new CallbackStore('later');
    const { limiter, events } = limiterOn(store);
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1, degraded: false });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 0, degraded: false });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: false });
    expect(store.updates).toBe(0);
    expect(events).toEqual([]);
  });

  it('a one-band limiter’s decisions carry no `bands`, answered through updateInto or through update', async () => {
    for (const store of [new CallbackStore('later'), new SlowStore(1)]) {
      const { limiter } = limiterOn(store);
      const decisions = [await limiter.consume('k'), await limiter.consume('k'), await limiter.consume('k')];
      expect(decisions.map((d) => [d.allowed, d.remaining, d.degraded, d.blocked])).toEqual([
        [true, 1, false, false],
        [true, 0, false, false],
        [false, 0, false, false],
      ]);
      for (const decision of decisions) expect(Object.hasOwn(decision, 'bands') && decision.bands === undefined).toBe(true);
    }
  });

  it('an answer given at once through the callback (a cached one) leaves no timeout timer running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter } = limiterOn(new CallbackStore('now'), { timeoutMs: 60_000 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 1, degraded: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an answer in time is not followed by a timeout once timeoutMs has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter, events } = limiterOn(new CallbackStore('later'), { timeoutMs: 30 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: false });
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual([]);
  });

  it('an updateInto that throws is answered by onStoreError with that error, at once and once', async () => {
    const { limiter, events } = limiterOn(new CallbackStore('throw'), { timeoutMs: 60_000 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ key: 'k', policy: 'allow' });
    expect(((events[0] as DegradedEvent).error as Error).message).toBe('updateInto down');
  });

  it('an updateInto that never calls back is answered by onStoreError after timeoutMs, with a StoreTimeoutError', async () => {
    const store = new CallbackStore('never');
    const { limiter, events } = limiterOn(store, { timeoutMs: 30 });
    const started = performance.now();
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(events).toHaveLength(1);
    expect(events[0]?.error).toBeInstanceOf(StoreTimeoutError);
    expect(store.held).toHaveLength(1);
  });

  it('an answer or a failure after the timeout changes nothing: the call was answered and reported once', async () => {
    const store = new CallbackStore('never');
    const { limiter, events } = limiterOn(store, { timeoutMs: 30 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true });
    const late = store.held[0] as StoreCallback;
    late.settle({ allowed: 'maybe' } as never);
    late.fail(new Error('connection lost'));
    late.settle({ allowed: true, now: 0, aheads: [0] });
    await sleep(50);
    expect(events).toHaveLength(1);
    expect(events[0]?.error).toBeInstanceOf(StoreTimeoutError);
  });
});

describe('calls made at different times on a store that never answers', () => {
  it('each is answered by onStoreError at its own deadline, not before and not much after', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    for (const store of [new FailingStore('hang'), new CallbackStore('never')]) {
      const { limiter } = limiterOn(store, { timeoutMs: 100 });
      const answered: string[] = [];
      void limiter.consume('first').then(() => answered.push('first'));
      await vi.advanceTimersByTimeAsync(60);
      void limiter.consume('second').then(() => answered.push('second'));
      await vi.advanceTimersByTimeAsync(45);
      expect(answered).toEqual(['first']);
      // The second is due 100 ms after it was made (160), its timer 1 ms later.
      await vi.advanceTimersByTimeAsync(50);
      expect(answered).toEqual(['first']);
      await vi.advanceTimersByTimeAsync(10);
      expect(answered).toEqual(['first', 'second']);
    }
  });
});

describe('the timeout queue of a limiter whose store answers some calls and not others', () => {
  it('keeps one timer however many calls are waiting', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter } = limiterOn(new CallbackStore('never'), { timeoutMs: 1_000 });
    const pending = Array.from({ length: 50 }, (_, i) => limiter.consume(`k${i}`));
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_001);
    expect((await Promise.all(pending)).every((decision) => decision.degraded)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still times out the calls behind an answered one when a new call arrives', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const store = new CallbackStore('never');
    const { limiter, events } = limiterOn(store, { timeoutMs: 100 });
    const answered: string[] = [];
    for (const key of ['a', 'b', 'c']) void limiter.consume(key).then((d) => answered.push(`${key}:${d.degraded}`));
    (store.held[0] as StoreCallback).settle({ allowed: true, now: 0, aheads: [0] });
    await vi.advanceTimersByTimeAsync(10);
    // The answered call leaves the front of the queue as this one joins it; b and c must stay in it.
    void limiter.consume('d').then((d) => answered.push(`d:${d.degraded}`));
    await vi.advanceTimersByTimeAsync(95);
    expect(answered).toEqual(['a:false', 'b:true', 'c:true']);
    await vi.advanceTimersByTimeAsync(10);
    expect(answered).toEqual(['a:false', 'b:true', 'c:true', 'd:true']);
    expect(events.map((event) => event.key)).toEqual(['b', 'c', 'd']);
  });
});

describe('calls whose deadlines fall on the same timer', () => {
  it('a call due exactly when the timer for an earlier one fires is answered by that timer, not a ms later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const { limiter } = limiterOn(new CallbackStore('never'), { timeoutMs: 100 });
    const answered: string[] = [];
    void limiter.consume('first').then(() => answered.push('first'));
    await vi.advanceTimersByTimeAsync(1);
    // Due at 101: the moment the first call's timer fires (its deadline 100, the timer 1 ms after).
    void limiter.consume('second').then(() => answered.push('second'));
    await vi.advanceTimersByTimeAsync(99);
    expect(answered).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(answered).toEqual(['first', 'second']);
  });
});
