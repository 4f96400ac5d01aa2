import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkedStoreResult } from '../src/core/store.js';
import { type DegradedEvent, MemoryStore, RateLimiter, SluiceStoreError, type Store, StoreTimeoutError } from '../src/index.js';
import { FailingStore, type FailureMode } from './setup/failingStore.js';

function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Stores whose backend is down, failing the way a networked (asynchronous) store does. */
function failingStore(mode: FailureMode): Store {
  return new FailingStore(mode, { synchronous: false, message: mode === 'throw' ? 'connection refused' : 'connection reset' });
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterEach(() => {
  expect(unhandled).toEqual([]);
});

describe('store failures', () => {
  it.each(['reject', 'throw'] as const)("'allow' (the default) answers allowed and degraded when the store fails (%s)", async (mode) => {
    const events: DegradedEvent[] = [];
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore(mode), onDegraded: (e) => events.push(e) });
    const d = await limiter.consume('k');
    expect(d).toMatchObject({ allowed: true, degraded: true, limit: 5 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ key: 'k', policy: 'allow' });
    expect(events[0]?.error).toBeInstanceOf(Error);
    expect((events[0] as DegradedEvent).error).toMatchObject({ message: expect.stringMatching(/connection/) });
  });

  it("'deny' fails closed with a Retry-After of one token", async () => {
    const limiter = new RateLimiter({ capacity: 5, refillRate: 2, store: failingStore('reject'), onStoreError: 'deny' });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: true, retryAfterMs: 500 });
  });

  it("'allow' answers a full bucket less the call's cost (a look: full; a refund: full; a charge: empty), never blocked", async () => {
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore('reject'), blockDuration: '1m' });
    const answer = { allowed: true, degraded: true, blocked: false, limit: 5, retryAfterMs: 0, resetMs: 0, bands: undefined };
    expect(await limiter.consume('k', 3)).toEqual({ ...answer, remaining: 2 });
    expect(await limiter.consume('k', 5)).toEqual({ ...answer, remaining: 0 });
    expect(await limiter.peek('k')).toEqual({ ...answer, remaining: 5 });
    expect(await limiter.refund('k', 2)).toEqual({ ...answer, remaining: 5 });
    expect(await limiter.charge('k', 8)).toEqual({ ...answer, remaining: 0 });
  });

  it("'deny' of a limiter with blockDuration is not a block: nothing was stored", async () => {
    const limiter = new RateLimiter({
      capacity: 5,
      refillRate: 2,
      store: failingStore('reject'),
      onStoreError: 'deny',
      blockDuration: '1m',
    });
    expect(await limiter.consume('k', 3)).toEqual({
      allowed: false,
      degraded: true,
      blocked: false,
      limit: 5,
      remaining: 0,
      retryAfterMs: 1500,
      resetMs: 0,
      bands: undefined,
    });
  });

  it("'throw' rejects with a SluiceStoreError carrying the cause", async () => {
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore('reject'), onStoreError: 'throw' });
    const error = await limiter.consume('k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceStoreError);
    expect(((error as Error).cause as Error).message).toBe('connection reset');
  });

  it('a fallback limiter answers instead, marked degraded', async () => {
    const fallback = new RateLimiter({ capacity: 1, refillRate: 1, store: new MemoryStore() });
    const limiter = new RateLimiter({ capacity: 100, refillRate: 1, store: failingStore('reject'), onStoreError: fallback });
    expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true, limit: 1 });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: true });
  });

  it('a hanging store is answered by the policy within timeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const events: DegradedEvent[] = [];
      const limiter = new RateLimiter({
        capacity: 5,
        refillRate: 1,
        store: failingStore('hang'),
        timeoutMs: 50,
        onStoreError: 'deny',
        onDegraded: (e) => events.push(e),
      });
      let settled: unknown;
      const calls = [limiter.consume('a'), limiter.consume('b'), limiter.peek('c')];
      Promise.all(calls).then((decisions) => {
        settled = decisions;
      });
      await vi.advanceTimersByTimeAsync(40);
      expect(settled).toBeUndefined();
      await vi.advanceTimersByTimeAsync(20);
      expect(settled).toEqual([expect.objectContaining({ allowed: false, degraded: true }), expect.anything(), expect.anything()]);
      expect(events.map((e) => e.error)).toEqual([
        expect.any(StoreTimeoutError),
        expect.any(StoreTimeoutError),
        expect.any(StoreTimeoutError),
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a throwing onDegraded hook does not turn the answer into a crash', async () => {
    const limiter = new RateLimiter({
      capacity: 5,
      refillRate: 1,
      store: failingStore('reject'),
      onDegraded: () => {
        throw new Error('alerting is down too');
      },
    });
    expect((await limiter.consume('k')).allowed).toBe(true);
  });

  it('reset failures reject with a SluiceStoreError naming the key, its cause the store error', async () => {
    for (const mode of ['reject', 'throw'] as const) {
      const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore(mode) });
      const error = await limiter.reset('user:7').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SluiceStoreError);
      expect((error as Error).message).toBe('sluice: reset of key "user:7" failed in the store');
      expect(((error as Error).cause as Error).message).toMatch(/^connection (reset|refused)$/);
    }
  });

  it("'throw' wraps an error of the store in a SluiceStoreError saying the store failed, on both paths", async () => {
    const asynchronous = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore('throw'), onStoreError: 'throw' });
    const synchronous = new RateLimiter({ capacity: 5, refillRate: 1, store: new FailingStore('throw'), onStoreError: 'throw' });
    for (const error of [await asynchronous.consume('k').catch((e: unknown) => e), thrownBy(() => synchronous.consumeSync('k'))]) {
      expect(error).toBeInstanceOf(SluiceStoreError);
      expect((error as Error).message).toBe('sluice: the store failed');
      expect(((error as Error).cause as Error).message).toMatch(/^(connection refused|store down)$/);
    }
  });

  it('consumeSync refuses an asynchronous store with a clear error', () => {
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore('reject') });
    expect(() => limiter.consumeSync('k')).toThrow(/consumeSync needs a synchronous store/);
  });
});

describe('onDegraded that throws or rejects', () => {
  /** Alert hooks that fail in each way a hook can: at once, as an async function, or through an odd thenable. */
  const hooks: [string, () => unknown][] = [
    [
      'throws',
      () => {
        throw new Error('metrics down');
      },
    ],
    [
      'is async and throws',
      async () => {
        throw new Error('metrics down');
      },
    ],
    ['returns a rejected promise', () => Promise.reject(new Error('metrics down'))],
    [
      'returns a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: the thenable under test
        then() {
          throw new Error('then blew up');
        },
      }),
    ],
    [
      'returns a thenable that rejects later',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: the thenable under test
        then(_resolve: unknown, reject: (error: unknown) => void) {
          setImmediate(() => reject(new Error('late')));
        },
      }),
    ],
  ];
  const policies = () => ['allow', 'deny', new RateLimiter({ capacity: 5, refillRate: 1 })] as const;

  it.each(hooks)('changes no answer and leaves no unhandled rejection: a hook that %s', async (_name, hook) => {
    for (const onStoreError of policies()) {
      let calls = 0;
      const onDegraded = () => {
        calls++;
        return hook();
      };
      const asynchronous = new RateLimiter({ capacity: 5, refillRate: 1, store: failingStore('reject'), onStoreError, onDegraded });
      const synchronous = new RateLimiter({ capacity: 5, refillRate: 1, store: new FailingStore('throw'), onStoreError, onDegraded });
      const allowed = onStoreError !== 'deny';
      expect(await asynchronous.consume('k')).toMatchObject({ allowed, degraded: true });
      expect(await asynchronous.charge('k', 2)).toMatchObject({ allowed: true, degraded: true });
      expect(synchronous.consumeSync('k')).toMatchObject({ allowed, degraded: true });
      expect(synchronous.refundSync('k', 1)).toMatchObject({ allowed: true, degraded: true });
      expect(calls).toBe(4);
    }
    // Let the hooks' promises settle: a rejection left unhandled shows in the afterEach check.
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
});

describe("charge and refund under 'deny'", () => {
  it.each(['reject', 'throw'] as const)('are answered allowed (never refused), while consume is refused (%s)', async (mode) => {
    const store = mode === 'throw' ? new FailingStore('throw') : failingStore('reject');
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store, onStoreError: 'deny' });
    expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: true });
    expect(await limiter.charge('k', 3)).toMatchObject({ allowed: true, degraded: true, remaining: 2, retryAfterMs: 0 });
    expect(await limiter.charge('k', 50)).toMatchObject({ allowed: true, degraded: true, remaining: 0, retryAfterMs: 0 });
    expect(await limiter.refund('k', 1)).toMatchObject({ allowed: true, degraded: true, remaining: 5 });
    expect(await limiter.peek('k')).toMatchObject({ allowed: false, degraded: true });
    if (mode === 'throw') {
      expect(limiter.chargeSync('k', 3)).toMatchObject({ allowed: true, degraded: true, remaining: 2 });
      expect(limiter.refundSync('k', 1)).toMatchObject({ allowed: true, degraded: true });
      expect(limiter.consumeSync('k')).toMatchObject({ allowed: false, degraded: true });
    }
  });
});

describe('a store that answers something that is no result', () => {
  const answers: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['{}', {}],
    ['{ allowed: true }', { allowed: true }],
    ['no aheads', { allowed: true, now: 0 }],
    ['too few aheads', { allowed: true, now: 0, aheads: [] }],
    // Indexed like an array but without a length: Array.from (the Redis deny cache's copy) would read no aheads.
    ['aheads without a length', { allowed: true, now: 0, aheads: { 0: 1 } }],
    ['a string', 'yes'],
    ['an ahead NaN', { allowed: true, now: 0, aheads: [Number.NaN] }],
    ['a negative ahead', { allowed: true, now: 0, aheads: [-1e300] }],
    ['now NaN', { allowed: true, now: Number.NaN, aheads: [0] }],
  ];
  /** A user-written store that answers `answer`, synchronously or as a promise. */
  const storeAnswering = (answer: unknown, synchronous: boolean): Store => ({
    synchronous,
    update: () => (synchronous ? answer : Promise.resolve(answer)) as never,
    reset: () => undefined,
  });

  it.each(answers)('is a store failure that onStoreError answers: %s, synchronous or not', async (_name, answer) => {
    for (const synchronous of [true, false]) {
      const events: DegradedEvent[] = [];
      const limiter = new RateLimiter({
        capacity: 5,
        refillRate: 1,
        store: storeAnswering(answer, synchronous),
        onDegraded: (event) => events.push(event),
      });
      const pending = limiter.consume('k');
      expect(pending).toBeInstanceOf(Promise);
      await expect(pending).resolves.toMatchObject({ allowed: true, degraded: true });
      await expect(limiter.wait('k', 1, { maxWaitMs: 10 })).resolves.toMatchObject({ degraded: true });
      if (synchronous) expect(limiter.consumeSync('k')).toMatchObject({ allowed: true, degraded: true });
      expect(events.length).toBeGreaterThanOrEqual(2);
      expect(events[0]?.error).toBeInstanceOf(SluiceStoreError);
      expect(((events[0] as DegradedEvent).error as Error).message.length).toBeLessThan(260);
      const denying = new RateLimiter({ capacity: 5, refillRate: 1, store: storeAnswering(answer, synchronous), onStoreError: 'throw' });
      await expect(denying.consume('k')).rejects.toBeInstanceOf(SluiceStoreError);
    }
  });
});

describe('checkedStoreResult', () => {
  const shape = 'not a result { allowed: boolean, now: ms ≥ 0, aheads: one number ≥ 0 per band }';

  it('passes a result of the right shape through', () => {
    const result = { allowed: false, now: 5, aheads: [0, 3] };
    expect(checkedStoreResult(result, 2)).toBe(result);
    // The bounds themselves, and a band beyond the policy's that nothing reads.
    const bounds = { allowed: true, now: 2 ** 53 - 1, aheads: [0, 2 ** 53 - 1, Number.NaN] };
    expect(checkedStoreResult(bounds, 2)).toBe(bounds);
    const typed = { allowed: true, now: 0, aheads: new Float64Array([7]) };
    expect(checkedStoreResult(typed, 1)).toBe(typed);
  });

  it('checks the ahead of every band, not only the first', () => {
    expect(() => checkedStoreResult({ allowed: true, now: 0, aheads: [0, 0, -1] }, 3)).toThrow(SluiceStoreError);
    expect(() => checkedStoreResult({ allowed: true, now: 0, aheads: [0, Number.NaN] }, 2)).toThrow(SluiceStoreError);
  });

  it.each([
    ['allowed not a boolean', { allowed: 'yes', now: 0, aheads: [0] }, '{ allowed: "yes", now: 0, aheads: Array(1) }'],
    ['now not a number', { allowed: true, now: '0', aheads: [0] }, '{ allowed: true, now: "0", aheads: Array(1) }'],
    ['aheads null', { allowed: true, now: 0, aheads: null }, '{ allowed: true, now: 0, aheads: null }'],
    ['now NaN', { allowed: true, now: Number.NaN, aheads: [0] }, '{ allowed: true, now: NaN, aheads: Array(1) }'],
    ['now negative', { allowed: true, now: -1, aheads: [0] }, '{ allowed: true, now: -1, aheads: Array(1) }'],
    ['now Infinity', { allowed: true, now: Number.POSITIVE_INFINITY, aheads: [0] }, '{ allowed: true, now: Infinity, aheads: Array(1) }'],
    ['now beyond 2^53', { allowed: true, now: 2 ** 53, aheads: [0] }, '{ allowed: true, now: 9007199254740992, aheads: Array(1) }'],
    ['an ahead NaN', { allowed: true, now: 0, aheads: [Number.NaN] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
    ['an ahead negative', { allowed: true, now: 0, aheads: [-1e300] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
    ['an ahead -1', { allowed: true, now: 0, aheads: [-1] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
    ['an ahead Infinity', { allowed: true, now: 0, aheads: [Number.POSITIVE_INFINITY] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
    ['an ahead beyond 2^53', { allowed: true, now: 0, aheads: [2 ** 53] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
    ['an ahead a string', { allowed: true, now: 0, aheads: ['5'] }, '{ allowed: true, now: 0, aheads: Array(1) }'],
  ])('refuses a result with only %s wrong, as a SluiceStoreError', (_name, answer, described) => {
    let error: unknown;
    try {
      checkedStoreResult(answer, 1);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(SluiceStoreError);
    expect((error as Error).message).toBe(`sluice: the store answered ${described}, ${shape}`);
  });
});
