/**
 * MemoryStore's `maxBytes` as counted (`store.bytes`): a bound reached exactly, slabs no larger than the budget
 * pays for, and a key in use kept through a flood. Heap as measured is memoryBound.test.ts's job.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import type { NamespaceTables } from '../src/stores/memory/namespaceTables.js';

const long = (tail: string) => `${'k'.repeat(8_000)}${tail}`;

/** The slots of the store's last-used key table: its slabs hold this many keys' numbers. */
function slabSlots(store: MemoryStore): number {
  const { tables } = store as unknown as { tables: NamespaceTables };
  return tables.lastTable?.referenced.length ?? 0;
}

describe('MemoryStore maxBytes, as counted', () => {
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

  it('maxBytes options are checked at construction', () => {
    expect(() => new MemoryStore({ maxBytes: 1000 })).toThrow(SluiceConfigError);
    expect(() => new MemoryStore({ maxBytes: 1000 })).toThrow(/maxBytes.*65536/);
    expect(() => new MemoryStore({ maxBytes: Number.NaN })).toThrow(/maxBytes/);
    const client = { evalsha: () => undefined, status: 'ready' } as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
    expect(() => new RedisStore({ client, denyCache: { maxBytes: 10 } })).toThrow(/denyCache\.maxBytes/);
    expect(() => new RedisStore({ client, denyCache: { maxKeys: 10, maxBites: 1e6 } as never })).toThrow(/denyCache\.maxBites.*maxBytes/);
  });

  it.each([
    ['one band', [{ capacity: 2, refillRate: 1, interval: '1h' }]],
    [
      'two bands',
      [
        { capacity: 2, refillRate: 1, interval: '1h' },
        { capacity: 5, refillRate: 1, interval: '1d' },
      ],
    ],
  ] as const)('the slabs have no more slots than maxBytes pays for at the shortest keys (%s)', (_, limits) => {
    const store = new MemoryStore({ sweepInterval: false, maxBytes: 64 * 1024 });
    const limiter = new RateLimiter({ limits: [...limits], store });
    let most = 0;
    // Keys of one to four characters count the fewest bytes a key can.
    for (let i = 0; i < 3_000; i++) {
      limiter.consumeSync(i.toString(36));
      most = Math.max(most, store.size);
    }
    expect(store.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(most).toBeGreaterThan(300);
    // Every slot is used at the budget's fullest, but for the one that rounding up to a whole key adds.
    expect(slabSlots(store)).toBeGreaterThanOrEqual(most);
    expect(slabSlots(store)).toBeLessThanOrEqual(most + 1);
  });
});
