/**
 * DenyCache on its own: following the store's clock with the local monotonic clock (and forgetting an entry when
 * that clock went back), eviction of the oldest entries at the `maxKeys` and `maxBytes` bounds, and clear().
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileBand } from '../src/core/gcra.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';

/** One band of 1 token per second: an empty bucket (TAT a whole tolerance ahead) denies cost 1 for 1000 ms. */
const bands = [compileBand(1, 1, 1000)];
const emptyBucket = { allowed: false, now: 50_000, aheads: [1000] };
const BIG = 1 << 30;

/** The bytes one entry of a one-band denial for `key` counts. */
function entrySize(key: string): number {
  const probe = new DenyCache(10, BIG);
  probe.remember(key, bands, 1, emptyBucket);
  return probe.bytes;
}

let monotonic = 0;
afterEach(() => {
  vi.restoreAllMocks();
});
function stepMonotonicClock(to: number): void {
  monotonic = to;
}
function useMonotonicClock(start: number): void {
  monotonic = start;
  vi.spyOn(performance, 'now').mockImplementation(() => monotonic);
}

describe('DenyCache counts the bytes docs/redis.md gives', () => {
  it('296 bytes an entry, 8 more per band, and its key: 16 bytes and 2 a character rounded up to 8, 120 for a digest', () => {
    expect(entrySize('a')).toBe(296 + 8 + 24);
    expect(entrySize('203.0.113.7')).toBe(344);
    expect(entrySize('x'.repeat(64))).toBe(296 + 8 + 32 + 16 + 136);
    expect(entrySize('x'.repeat(65))).toBe(296 + 8 + 120);
    const threeBands = [compileBand(1, 1, 1000), compileBand(2, 2, 1000), compileBand(3, 3, 1000)];
    const cache = new DenyCache(10, BIG);
    cache.remember('a', threeBands, 1, { allowed: false, now: 50_000, aheads: [1000, 1000, 1000] });
    expect(cache.bytes).toBe(296 + 3 * 8 + 24);
  });
});

describe('DenyCache follows the store clock with performance.now()', () => {
  it('answers at the store time of the denial when no local time has passed', () => {
    useMonotonicClock(7000);
    const cache = new DenyCache(10, BIG);
    cache.remember('k', bands, 1, emptyBucket);
    expect(cache.lookup('k', 1, undefined)).toEqual({ allowed: false, now: 50_000, aheads: [1000] });
  });

  it('adds the whole ms passed locally since the denial to its store time', () => {
    useMonotonicClock(7000);
    const cache = new DenyCache(10, BIG);
    cache.remember('k', bands, 1, emptyBucket);
    stepMonotonicClock(7250.9);
    expect(cache.lookup('k', 1, undefined)).toEqual({ allowed: false, now: 50_250, aheads: [750] });
    stepMonotonicClock(7999.5);
    expect(cache.lookup('k', 1, undefined)).toEqual({ allowed: false, now: 50_999, aheads: [1] });
    stepMonotonicClock(8000);
    expect(cache.lookup('k', 1, undefined)).toBeUndefined(); // the token is due: Redis decides again
    expect(cache.size).toBe(0);
  });

  it('forgets the entry when the monotonic clock went back (only the store can tell the time then)', () => {
    useMonotonicClock(7000);
    const cache = new DenyCache(10, BIG);
    cache.remember('k', bands, 1, emptyBucket);
    stepMonotonicClock(6999);
    expect(cache.lookup('k', 1, undefined)).toBeUndefined();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
    stepMonotonicClock(7000);
    expect(cache.lookup('k', 1, undefined)).toBeUndefined(); // forgotten, not merely skipped
  });
});

describe('DenyCache evicts its oldest entries at its bounds', () => {
  const held = (cache: DenyCache, keys: string[]) => keys.filter((key) => cache.lookup(key, 1, 50_000) !== undefined);

  it('holds maxKeys entries, and the next one evicts the oldest', () => {
    const cache = new DenyCache(3, BIG);
    for (const key of ['a', 'b', 'c']) cache.remember(key, bands, 1, emptyBucket);
    expect(held(cache, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    cache.remember('d', bands, 1, emptyBucket);
    expect(cache.size).toBe(3);
    expect(held(cache, ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
    expect(cache.bytes).toBe(3 * entrySize('a'));
  });

  it('holds entries up to exactly maxBytes, and evicts the oldest ones for an entry past it', () => {
    const size = entrySize('a');
    const exact = new DenyCache(100, 3 * size);
    for (const key of ['a', 'b', 'c']) exact.remember(key, bands, 1, emptyBucket);
    expect(held(exact, ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(exact.bytes).toBe(3 * size);

    const short = new DenyCache(100, 3 * size - 1);
    for (const key of ['a', 'b', 'c']) short.remember(key, bands, 1, emptyBucket);
    expect(held(short, ['a', 'b', 'c'])).toEqual(['b', 'c']);
    expect(short.bytes).toBe(2 * size);
    // A longer key counts more bytes: room is made by evicting as many old entries as that takes.
    const long = 'l'.repeat(31);
    expect(entrySize(long)).toBeGreaterThan(size);
    const roomy = new DenyCache(100, 2 * size + entrySize(long) - 1);
    for (const key of ['a', 'b', 'c']) roomy.remember(key, bands, 1, emptyBucket);
    roomy.remember(long, bands, 1, emptyBucket);
    expect(held(roomy, ['a', 'b', 'c', long])).toEqual(['c', long]);
    expect(roomy.bytes).toBe(size + entrySize(long));
  });
});

describe('DenyCache.clear', () => {
  it('forgets every entry and its bytes', () => {
    const cache = new DenyCache(10, BIG);
    for (const key of ['a', 'b']) cache.remember(key, bands, 1, emptyBucket);
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
    expect(cache.lookup('a', 1, 50_000)).toBeUndefined();
    cache.remember('c', bands, 1, emptyBucket);
    expect([cache.size, cache.bytes]).toEqual([1, entrySize('c')]);
  });
});
