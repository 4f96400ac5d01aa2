/**
 * Long keys are held as digests: decided exactly as the keys themselves, and a digest never equals a plain key.
 * In-process, so that mutation testing sees these (memoryBound.test.ts measures heap in a child process).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { heldKey, LONGEST_PLAIN_KEY } from '../src/core/keyDigest.js';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';

const MiB = 1024 * 1024;

describe('long keys held as digests', () => {
  const long = (tail: string) => `${'k'.repeat(8_000)}${tail}`;

  it('the same long key is the same bucket; long keys differing only at the end are different buckets', () => {
    const store = new MemoryStore({ sweepInterval: false });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store });
    expect(limiter.consumeSync(long('a')).remaining).toBe(1);
    expect(limiter.consumeSync(long('a')).remaining).toBe(0);
    expect(limiter.consumeSync(long('a')).allowed).toBe(false);
    expect(limiter.consumeSync(long('b')).remaining).toBe(1);
    expect(limiter.consumeSync(`${long('a')}a`).remaining).toBe(1);
    expect(store.size).toBe(3);
  });

  it('a digest never equals a plain key: 64 characters stay plain, 65 are digested, a digest passed as a key is its own key', () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h', store: new MemoryStore({ sweepInterval: false }) });
    const key64 = 'x'.repeat(LONGEST_PLAIN_KEY);
    expect(heldKey(key64)).toBe(key64);
    const key65 = `${key64}y`;
    const digest = heldKey(key65);
    expect(digest).toHaveLength(LONGEST_PLAIN_KEY + 1);
    expect(digest).toBe(`#${createHash('sha256').update(key65).digest('hex')}`);
    limiter.consumeSync(key65);
    expect(limiter.consumeSync(digest).allowed).toBe(true); // the digest text as a key is another key
    expect(limiter.consumeSync(key65).allowed).toBe(false);
  });

  it('keys with lone surrogates (which UTF-8 cannot tell apart) get different digests', () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h', store: new MemoryStore({ sweepInterval: false }) });
    const a = long('\uD800');
    const b = long('\uDC00');
    const c = long('\uFFFD'); // what UTF-8 encoding would turn both into
    expect(new Set([heldKey(a), heldKey(b), heldKey(c)]).size).toBe(3);
    for (const key of [a, b, c]) expect(limiter.consumeSync(key).allowed).toBe(true);
    for (const key of [a, b, c]) expect(limiter.consumeSync(key).allowed).toBe(false);
  });

  it('reset, peek, multi-band limits and wait work on long keys', async () => {
    const store = new MemoryStore({ sweepInterval: false });
    const multi = new RateLimiter({
      limits: [
        { capacity: 2, refillRate: 1, interval: '1h' },
        { capacity: 3, refillRate: 1, interval: '1d' },
      ],
      store,
      prefix: 'multi:',
    });
    const key = long('m');
    expect((await multi.consume(key, 2)).allowed).toBe(true);
    expect((await multi.peek(key)).remaining).toBe(0);
    expect((await multi.wait(key, 1, { maxWaitMs: 10 })).allowed).toBe(false);
    await multi.reset(key);
    expect((await multi.peek(key)).remaining).toBe(2);
    expect(store.size).toBe(0);
  });

  it('the deny cache answers for the same long key only, and forgets it', () => {
    const cache = new DenyCache(100, 1 * MiB);
    const bands = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s' }).limits;
    cache.remember(long('a'), bands, 1, { allowed: false, now: 0, aheads: [1000] });
    expect(cache.lookup(long('a'), 1, 10)).toMatchObject({ allowed: false });
    expect(cache.lookup(long('b'), 1, 10)).toBeUndefined();
    cache.forget(long('a'));
    expect(cache.lookup(long('a'), 1, 10)).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });
});
