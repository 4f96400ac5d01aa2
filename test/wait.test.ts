import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter, SluiceArgumentError } from '../src/index.js';

// Fake timers drive the sleeps; the limiter's clock follows the fake time, so no test really sleeps.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function limiter() {
  return new RateLimiter({ capacity: 2, refillRate: 10, interval: '1s', clock: () => Date.now() }); // a token per 100 ms
}

describe('wait()', () => {
  it('resolves at once while tokens are there', async () => {
    const l = limiter();
    expect(await l.wait('k', 1, { maxWaitMs: 1000 })).toMatchObject({ allowed: true, remaining: 1 });
  });

  it('serves concurrent waiters in order, one emission interval apart, never above the rate', async () => {
    const l = limiter();
    const start = Date.now();
    const grantedAt: number[] = [];
    const waits = Array.from({ length: 6 }, (_, i) =>
      l.wait('k', 1, { maxWaitMs: 1000 }).then((d) => {
        expect(d.allowed).toBe(true);
        grantedAt[i] = Date.now() - start;
      }),
    );
    await vi.runAllTimersAsync();
    await Promise.all(waits);
    expect(grantedAt).toEqual([0, 0, 100, 200, 300, 400]);
    // The reservations used the tokens: a plain consume now finds none.
    expect((await l.consume('k')).allowed).toBe(false);
  });

  it('takes nothing and resolves with a denial when the wait would exceed maxWaitMs', async () => {
    const l = limiter();
    await l.consume('k', 2);
    const denied = await l.wait('k', 1, { maxWaitMs: 50 });
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 100 });
    const granted = l.wait('k', 1, { maxWaitMs: 100 });
    await vi.advanceTimersByTimeAsync(100);
    expect((await granted).allowed).toBe(true);
  });

  it('a one-band limiter describes every wait() with no `bands`: granted at once, granted after a delay, refused', async () => {
    const l = limiter();
    expect(await l.wait('k', 1, { maxWaitMs: 1000 })).toEqual({
      allowed: true,
      limit: 2,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 100,
      degraded: false,
      blocked: false,
      bands: undefined,
    });
    await l.wait('k', 1, { maxWaitMs: 1000 });
    const delayed = l.wait('k', 1, { maxWaitMs: 1000 });
    await vi.advanceTimersByTimeAsync(100);
    // As at its grant, 100 ms on: the bucket empty again, full 200 ms later.
    expect(await delayed).toEqual({
      allowed: true,
      limit: 2,
      remaining: 0,
      retryAfterMs: 0,
      resetMs: 200,
      degraded: false,
      blocked: false,
      bands: undefined,
    });
    expect(await l.wait('k', 1, { maxWaitMs: 50 })).toEqual({
      allowed: false,
      limit: 2,
      remaining: 0,
      retryAfterMs: 100,
      resetMs: 200,
      degraded: false,
      blocked: false,
      bands: undefined,
    });
  });

  it('an abort rejects with the signal’s reason and gives the reserved tokens back', async () => {
    const l = limiter();
    await l.consume('k', 2);
    const controller = new AbortController();
    const waiting = l.wait('k', 2, { maxWaitMs: 1000, signal: controller.signal });
    const outcome = waiting.then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
    await vi.advanceTimersByTimeAsync(50);
    controller.abort(new Error('client went away'));
    expect(await outcome).toEqual(new Error('client went away'));
    // The 2 reserved tokens came back: at 100 ms the bucket holds 1 token, as if no wait had happened.
    await vi.advanceTimersByTimeAsync(50);
    expect((await l.peek('k')).remaining).toBe(1);
  });

  it('an already aborted signal rejects without reserving', async () => {
    const l = limiter();
    const controller = new AbortController();
    controller.abort('stop');
    await expect(l.wait('k', 1, { maxWaitMs: 1000, signal: controller.signal })).rejects.toBe('stop');
    expect((await l.peek('k')).remaining).toBe(2);
  });

  it('rejects bad wait options with errors naming them', async () => {
    const l = limiter();
    await expect(l.wait('k', 1, { maxWaitMs: -1 })).rejects.toThrow(SluiceArgumentError);
    await expect(l.wait('k', 1, { maxWaitMs: -1 })).rejects.toThrow(/`maxWaitMs`.*-1/);
    await expect(l.wait('k', 1, { signal: 'nope' as never })).rejects.toThrow(/`signal`/);
    await expect(l.wait('k', 1, { maxWait: 5 } as never)).rejects.toThrow(/maxWait/);
  });
});

describe('wait() with delays beyond a Node timer (2^31 − 1 ms, about 24.8 days)', () => {
  const DAY = 86_400_000;

  it('1 per 30 days, maxWaitMs 40 days: resolves when the token is due, not after a few ms', async () => {
    const l = new RateLimiter({ capacity: 1, refillRate: 1, interval: '30d', clock: () => Date.now() });
    await l.consume('k');
    let resolvedAt: number | undefined;
    const start = Date.now();
    const waiting = l.wait('k', 1, { maxWaitMs: 40 * DAY }).then((d) => {
      resolvedAt = Date.now() - start;
      return d;
    });
    await vi.advanceTimersByTimeAsync(3);
    expect(resolvedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2 ** 31); // past one timer's length
    expect(resolvedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(30 * DAY - 1 - 3 - 2 ** 31);
    expect(resolvedAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(resolvedAt).toBe(30 * DAY);
    expect(await waiting).toMatchObject({ allowed: true, remaining: 0, resetMs: 30 * DAY });
  });

  it('2,600 waiters on 100 per day: each resolves exactly when its token is due (100 at once, then one every 864 s)', async () => {
    const l = new RateLimiter({ capacity: 100, refillRate: 100, interval: '1d', clock: () => Date.now() });
    const start = Date.now();
    const resolvedAt: number[] = [];
    const waits = Array.from({ length: 2600 }, (_, i) =>
      l.wait('k', 1, { maxWaitMs: 40 * DAY }).then((d) => {
        expect(d.allowed).toBe(true);
        resolvedAt[i] = Date.now() - start;
      }),
    );
    await vi.advanceTimersByTimeAsync(1);
    expect(resolvedAt.filter((t) => t !== undefined)).toHaveLength(100);
    await vi.runAllTimersAsync();
    await Promise.all(waits);
    expect(resolvedAt).toEqual(Array.from({ length: 2600 }, (_, i) => Math.max(0, i - 99) * 864_000));
  });

  it('an abort during a long wait (between chained timers) rejects and gives the token back', async () => {
    const l = new RateLimiter({ capacity: 1, refillRate: 1, interval: '30d', clock: () => Date.now() });
    await l.consume('k');
    const controller = new AbortController();
    const waiting = l.wait('k', 1, { maxWaitMs: 40 * DAY, signal: controller.signal }).then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
    await vi.advanceTimersByTimeAsync(2 ** 31 + 5);
    controller.abort('gone');
    expect(await waiting).toBe('gone');
    expect((await l.peek('k')).resetMs).toBe(30 * DAY - 2 ** 31 - 5);
    await vi.runAllTimersAsync(); // no chained timer is left to fire
  });
});
