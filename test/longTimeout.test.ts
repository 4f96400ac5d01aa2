import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clearLongTimeout, MAX_TIMER_MS, setLongTimeout } from '../src/core/longTimeout.js';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('setLongTimeout', () => {
  it.each([0, 1, 1000, MAX_TIMER_MS, MAX_TIMER_MS + 1, 3 * MAX_TIMER_MS + 7, 40 * 86_400_000])(
    'fires once, exactly after %i ms',
    (delay) => {
      const fired: number[] = [];
      const start = Date.now();
      setLongTimeout(() => fired.push(Date.now() - start), delay);
      if (delay > 0) {
        vi.advanceTimersByTime(delay - 1);
        expect(fired).toEqual([]);
      }
      vi.advanceTimersByTime(1);
      expect(fired).toEqual([delay]);
      vi.runAllTimers();
      expect(fired).toEqual([delay]);
    },
  );

  it('can be cleared before the first link fires or between links', () => {
    const fired: string[] = [];
    const early = setLongTimeout(() => fired.push('early'), 10);
    clearLongTimeout(early);
    const late = setLongTimeout(() => fired.push('late'), 2 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 10);
    clearLongTimeout(late);
    clearLongTimeout(late); // twice is harmless
    clearLongTimeout(undefined);
    vi.runAllTimers();
    expect(fired).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('unref: every link of the chain is unref’d', () => {
    vi.useRealTimers();
    const handle = setLongTimeout(() => undefined, MAX_TIMER_MS + 1, { unref: true });
    expect(handle.timer?.hasRef()).toBe(false);
    clearLongTimeout(handle);
    const kept = setLongTimeout(() => undefined, 5);
    expect(kept.timer?.hasRef()).toBe(true);
    clearLongTimeout(kept);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a delay of %s with a RangeError', (delay) => {
    expect(() => setLongTimeout(() => undefined, delay)).toThrow(RangeError);
  });

  it('names the refused delay in its message', () => {
    for (const delay of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => setLongTimeout(() => undefined, delay)).toThrow(`sluice: a timeout needs a finite delay ≥ 0 ms; got ${delay}`);
    }
  });

  it('set on real timers and cleared under fake ones that cannot clear a native timer: never calls back', async () => {
    vi.useRealTimers();
    const fired: string[] = [];
    const handle = setLongTimeout(() => fired.push('fired'), 20);
    // Fake timers as sinon installs them by default: clearTimeout of a native timer only warns.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'], shouldClearNativeTimers: false });
      clearLongTimeout(handle);
      vi.useRealTimers();
    } finally {
      warn.mockRestore();
    }
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toEqual([]);
  });

  it('where setTimeout returns a number (jsdom, browsers), unref is skipped and the timeout fires', async () => {
    vi.useRealTimers();
    const nodeSetTimeout = globalThis.setTimeout;
    vi.stubGlobal('setTimeout', (callback: () => void, ms: number) => Number(nodeSetTimeout(callback, ms)));
    try {
      const fired = new Promise<string>((resolve) => setLongTimeout(() => resolve('fired'), 5, { unref: true }));
      await expect(fired).resolves.toBe('fired');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
