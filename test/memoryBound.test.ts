/**
 * MemoryStore and the Redis store's deny cache are bounded in bytes, whatever the keys: long keys are held
 * as digests (decided exactly as the keys themselves), and a short key cut from a long string does not keep
 * that string alive. Heap is measured in a child process with full GCs (memoryBound.child.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { heldKey, LONGEST_PLAIN_KEY } from '../src/core/keyDigest.js';
import { MemoryStore, RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';

const CHILD = fileURLToPath(new URL('./memoryBound.child.ts', import.meta.url));
const MiB = 1024 * 1024;

interface Flood {
  heapGrowth: number;
  bytes: number;
  size: number;
  maxBytes: number;
}

async function flood(target: 'memory' | 'deny', kind: string, count: number, maxBytes?: number): Promise<Flood> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    CHILD,
    target,
    kind,
    String(count),
    ...(maxBytes === undefined ? [] : [String(maxBytes)]),
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Flood;
}

describe('memory bounded in bytes', () => {
  it.each([
    ['a fresh 8,000-character key (held as a digest)', 'long'],
    ['a fresh 20-character key cut from an 8 KB string (copied, so the string can go)', 'sliced'],
  ])(
    'MemoryStore (defaults): 20,000 requests with %s hold a few MB, not 160',
    async (_, kind) => {
      const result = await flood('memory', kind, 20_000);
      expect(result.size).toBe(20_001);
      expect(result.maxBytes).toBe(128 * MiB);
      expect(result.heapGrowth / result.size).toBeLessThan(400); // about 200 bytes a key, not 8 KB
      expect(result.heapGrowth).toBeLessThanOrEqual(result.bytes);
    },
    60_000,
  );

  it.each([
    ['100,000 long keys', 'long', 100_000, 4 * MiB],
    ['300,000 IPv4 keys', 'ip', 300_000, 8 * MiB],
  ])(
    'MemoryStore maxBytes: %s stay under the budget, as counted and as measured',
    async (_, kind, count, maxBytes) => {
      const result = await flood('memory', kind, count, maxBytes);
      expect(result.bytes).toBeLessThanOrEqual(maxBytes);
      expect(result.heapGrowth).toBeLessThanOrEqual(maxBytes);
      expect(result.size).toBeGreaterThan(maxBytes / 400); // the budget is used, not wasted
    },
    60_000,
  );

  it('deny cache (default 4 MiB): long and sliced keys stay under the budget', async () => {
    for (const kind of ['long', 'sliced']) {
      const result = await flood('deny', kind, 30_000);
      expect(result.maxBytes).toBe(4 * MiB);
      expect(result.bytes).toBeLessThanOrEqual(4 * MiB);
      expect(result.heapGrowth).toBeLessThanOrEqual(4 * MiB);
      expect(result.size).toBeGreaterThan(5_000);
    }
  }, 60_000);
});

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

  it('a key used throughout survives a flood of long keys under maxBytes (CLOCK), and its count is exact', () => {
    const store = new MemoryStore({ sweepInterval: false, maxBytes: 64 * 1024 });
    const limiter = new RateLimiter({ capacity: 200, refillRate: 1, interval: '1h', store });
    limiter.consumeSync('regular');
    for (let i = 0; i < 5_000; i++) {
      limiter.consumeSync(long(String(i)));
      if (i % 50 === 0) limiter.consumeSync('regular');
      expect(store.bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(store.size).toBeGreaterThan(100);
    expect(limiter.consumeSync('regular', 0).remaining).toBe(200 - 101);
  });

  it('maxBytes is a bound, not a limit below it: keys whose bytes add up to exactly maxBytes are all held', () => {
    const key = (i: number) => `k${String(i).padStart(6, '0')}`; // one length, so one size per entry
    const sizing = new MemoryStore({ sweepInterval: false });
    new RateLimiter({ capacity: 5, refillRate: 1, interval: '1h', store: sizing }).consumeSync(key(0));
    const entryBytes = sizing.bytes;
    const fits = Math.ceil((64 * 1024) / entryBytes);
    const store = new MemoryStore({ sweepInterval: false, maxBytes: fits * entryBytes });
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1h', store });
    for (let i = 0; i < fits; i++) limiter.consumeSync(key(i));
    expect(store.size).toBe(fits);
    expect(store.bytes).toBe(fits * entryBytes);
    limiter.consumeSync(key(fits)); // one byte past the budget: one key goes
    expect(store.size).toBe(fits);
    expect(store.bytes).toBe(fits * entryBytes);
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

  it('maxBytes options are checked at construction', () => {
    expect(() => new MemoryStore({ maxBytes: 1000 })).toThrow(SluiceConfigError);
    expect(() => new MemoryStore({ maxBytes: 1000 })).toThrow(/maxBytes.*65536/);
    expect(() => new MemoryStore({ maxBytes: Number.NaN })).toThrow(/maxBytes/);
    const client = { evalsha: () => undefined, status: 'ready' } as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
    expect(() => new RedisStore({ client, denyCache: { maxBytes: 10 } })).toThrow(/denyCache\.maxBytes/);
    expect(() => new RedisStore({ client, denyCache: { maxKeys: 10, maxBites: 1e6 } as never })).toThrow(/denyCache\.maxBites.*maxBytes/);
  });
});
