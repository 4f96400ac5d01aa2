import { describe, expect, it, vi } from 'vitest';
import { MemoryStore, RateLimiter } from '../src/index.js';

function setup(
  storeOptions: ConstructorParameters<typeof MemoryStore>[0] = {},
  limit = { capacity: 2, refillRate: 1, interval: '1s' as const },
) {
  const clock = { now: 1_000_000 };
  const store = new MemoryStore({ sweepInterval: false, ...storeOptions });
  const limiter = new RateLimiter({ ...limit, store, clock: () => clock.now });
  return { store, limiter, clock };
}

describe('MemoryStore', () => {
  it('keeps no entry for a full bucket: peeks and denials store nothing', async () => {
    const { store, limiter } = setup();
    await limiter.peek('a');
    expect(store.size).toBe(0);
    await limiter.consume('a', 2);
    expect(store.size).toBe(1);
    await limiter.consume('a'); // denied
    expect(store.size).toBe(1);
  });

  it('drops an entry lazily when a look finds its bucket full again', async () => {
    const { store, limiter, clock } = setup();
    await limiter.consume('a');
    clock.now += 5_000;
    expect((await limiter.peek('a')).remaining).toBe(2);
    expect(store.size).toBe(0);
  });

  it('sweep() drops full buckets and keeps the others', async () => {
    const { store, limiter, clock } = setup();
    await limiter.consume('short');
    clock.now += 900;
    await limiter.consume('long', 2);
    clock.now += 200; // 'short' is full again (1 token took 1 s), 'long' is not
    await limiter.peek('unrelated'); // the store judges fullness by the latest time it saw
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(1);
    expect((await limiter.peek('long')).remaining).toBe(0);
  });

  it('the background sweep runs on an unref’d timer and empties the store', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const clock = { now: 0 };
      const store = new MemoryStore({ sweepInterval: '1s' });
      const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', store, clock: () => clock.now });
      for (let i = 0; i < 25_000; i++) limiter.consumeSync(`k${i}`);
      expect(store.size).toBe(25_000);
      clock.now = 2_000;
      limiter.consumeSync('fresh'); // tells the store the time; 'fresh' itself is not full
      await vi.advanceTimersByTimeAsync(1_000); // first chunk of 10,000 keys
      expect(store.size).toBeGreaterThan(1);
      // The rest follows on (real) setImmediate turns, without blocking the event loop.
      for (let turn = 0; turn < 10 && store.size > 1; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(store.size).toBe(1);
      expect(vi.getTimerCount()).toBe(1);
      store.close();
      // No timer left behind: nothing would keep the process alive or sweep a closed store.
      expect(vi.getTimerCount()).toBe(0);
      expect(store.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reset forgets a key of any length: up to the plain-key limit, at it, and past it (held as a digest)', async () => {
    const { store, limiter } = setup();
    const keys = ['k'.repeat(63), 'k'.repeat(64), 'k'.repeat(65), 'k'.repeat(10_000), 'é'.repeat(70), 'a\ud800'.repeat(40)];
    for (const key of keys) await limiter.consume(key, 2);
    expect(store.size).toBe(keys.length);
    for (const key of keys) {
      await limiter.reset(key);
      expect((await limiter.peek(key)).remaining, `a key of ${key.length} characters`).toBe(2);
    }
    expect(store.size).toBe(0);
    expect(store.bytes).toBe(0);
  });

  it('resets and sweeps give back the bytes their keys counted: at maxBytes, the store keeps its whole room', async () => {
    const { store, limiter, clock } = setup({ maxBytes: 65_536 }, { capacity: 3, refillRate: 1, interval: '1h' as never });
    // Longer than the plain-key limit: each is held as a digest, and counted as one.
    const key = (round: number, i: number) => `${'a-long-client-key/'.repeat(5)}${round}:${i}`;
    for (let i = 0; i < 1_000; i++) limiter.consumeSync(key(0, i));
    const room = store.size; // as many as maxBytes holds
    expect(room).toBeGreaterThan(100);
    expect(room).toBeLessThan(1_000);
    const full = store.bytes;
    for (let round = 1; round <= 6; round++) {
      // Every key of the last round goes: by reset in odd rounds, by sweep() once full again in even ones.
      if (round % 2 === 1) {
        for (let i = 0; i < 1_000; i++) await limiter.reset(key(round - 1, i));
      } else {
        clock.now += 3 * 3_600_000;
        await limiter.peek('now'); // tells the store the time
        expect(store.sweep()).toBe(room);
      }
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
      for (let i = 0; i < room; i++) limiter.consumeSync(key(round, i));
      // The same number of keys fits again, and every one is held (none evicted early).
      expect({ size: store.size, bytes: store.bytes }).toEqual({ size: room, bytes: full });
      for (let i = 0; i < room; i++) expect(limiter.consumeSync(key(round, i), 0).remaining).toBe(2);
    }
  });

  it('evicts when maxKeys is reached, and an evicted key starts full', async () => {
    const { store, limiter } = setup({ maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await limiter.consume(key, 2);
    expect(store.size).toBe(3);
    // 'a' was the oldest and unused since: evicted, so it is full again.
    expect((await limiter.peek('a')).remaining).toBe(2);
    expect((await limiter.peek('d')).remaining).toBe(0);
  });

  it('keeps recently used keys over keys used once (CLOCK second chance)', async () => {
    const { limiter } = setup({ maxKeys: 100 }, { capacity: 100, refillRate: 1, interval: '1h' as never });
    await limiter.consume('regular');
    for (let i = 0; i < 1_000; i++) {
      await limiter.consume(`flood-${i}`);
      if (i % 50 === 0) await limiter.consume('regular');
    }
    // 'regular' was used throughout, so it survived the flood: its count is exact.
    expect((await limiter.peek('regular')).remaining).toBe(100 - 21);
  });

  // Under mutation testing (instrumented code, once per mutant) a smaller flood, still three times maxKeys.
  const floodKeys = process.env.SLUICE_MUTATION === '1' ? 300_000 : 2_000_000;
  it(`a flood of ${floodKeys.toLocaleString('en')} distinct keys stays within maxKeys 100,000, and kept keys decide correctly`, () => {
    const { store, limiter } = setup({ maxKeys: 100_000 }, { capacity: 3, refillRate: 1, interval: '1h' as never });
    limiter.consumeSync('client', 2);
    let maxSize = 0;
    for (let i = 0; i < floodKeys; i++) {
      limiter.consumeSync(`attacker-${i}`);
      if (i % 10_000 === 0) {
        maxSize = Math.max(maxSize, store.size);
        limiter.consumeSync('client', 0); // the legitimate client keeps coming back (a look, cost 0)
      }
    }
    maxSize = Math.max(maxSize, store.size);
    expect(maxSize).toBe(100_000);
    expect(limiter.consumeSync('client')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.consumeSync('client').allowed).toBe(false);
  });

  it('shares buckets between limiters with the same prefix and limits; other limits on that prefix get their own', () => {
    const store = new MemoryStore({ sweepInterval: false });
    const a = new RateLimiter({ capacity: 2, refillRate: 1, store });
    const b = new RateLimiter({ capacity: 2, refillRate: 1, store });
    a.consumeSync('k', 2);
    expect(b.consumeSync('k').allowed).toBe(false);
    const c = new RateLimiter({ capacity: 5, refillRate: 1, store });
    expect(c.consumeSync('k').remaining).toBe(4);
    const d = new RateLimiter({ capacity: 5, refillRate: 1, store, prefix: 'other:' });
    expect(d.consumeSync('k').remaining).toBe(4);
  });

  it('multi-band limiters keep one number per band and key', async () => {
    const { store, limiter } = setup({}, undefined as never);
    void limiter;
    const clock = { now: 0 };
    const multi = new RateLimiter({
      limits: [
        { capacity: 2, refillRate: 2, interval: '1s' },
        { capacity: 3, refillRate: 3, interval: '1h' },
      ],
      store,
      prefix: 'multi:',
      clock: () => clock.now,
    });
    expect((await multi.consume('k', 2)).allowed).toBe(true);
    clock.now += 1_000; // the per-second band is full again, the hourly one has 1 left
    const denied = await multi.consume('k', 2);
    expect(denied.allowed).toBe(false);
    expect(denied.bands?.map((b) => b.remaining)).toEqual([2, 1]);
    // Denied: nothing taken from the per-second band either (all or nothing).
    expect((await multi.consume('k', 1)).bands?.map((b) => b.remaining)).toEqual([1, 0]);
  });
});
