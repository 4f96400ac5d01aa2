import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS } from '../src/core/longTimeout.js';
import { type Duration, type LimitOptions, MemoryStore, RateLimiter } from '../src/index.js';
import { KeyTable } from '../src/stores/memory/keyTable.js';
import { decisionView } from './decisionView.js';
import { GcraModel, type ModelLimit } from './gcraModel.js';

/** A limit both sluice and the reference model read. */
type Limit = LimitOptions & ModelLimit;

/** Runs `limiter` and one model per key side by side; returns the keys whose decisions differ (with both). */
class KeyedModel {
  private readonly models = new Map<string, GcraModel>();
  constructor(
    readonly limits: readonly Limit[],
    readonly limiter: RateLimiter,
  ) {}

  call(key: string, now: number, cost: number): { key: string; got: unknown; want: unknown } | undefined {
    let model = this.models.get(key);
    if (model === undefined) {
      model = new GcraModel(this.limits);
      this.models.set(key, model);
    }
    const want = decisionView(model.call(now, cost));
    const got = decisionView(this.limiter.consumeSync(key, cost));
    return JSON.stringify(got) === JSON.stringify(want) ? undefined : { key, got, want };
  }
}

function clocked(options: ConstructorParameters<typeof RateLimiter>[0], clock: { now: number }) {
  return new RateLimiter({ ...options, clock: () => clock.now } as ConstructorParameters<typeof RateLimiter>[0]);
}

describe('MemoryStore key table growth', () => {
  // The table starts with 1,024 slots and doubles; the key that lands on the old size is the first one past it.
  for (const [name, limit, test] of [
    ['whole-ms emission interval', { capacity: 2, refillRate: 1, interval: '1h' }, it],
    // A fractional emission interval keeps a short per key in a second slab, which growth must carry over too.
    ['fractional emission interval (second slab)', { capacity: 2, refillRate: 7, interval: 3001 }, it],
  ] as const) {
    test(`every key keeps its own state across each doubling (1023/1024/1025 … 4095/4096/4097), ${name}`, () => {
      const clock = { now: 5_000_000 };
      const store = new MemoryStore({ sweepInterval: false });
      const limiter = clocked({ ...limit, store }, clock);
      const keys = 4_200;
      for (let i = 0; i < keys; i++) expect(limiter.consumeSync(`k${i}`, 2).allowed).toBe(true);
      expect(store.size).toBe(keys);
      // Later, every key is still empty (or only partly refilled): none came back as a full bucket.
      clock.now += 1;
      const model = new GcraModel([limit]);
      model.call(5_000_000, 2);
      const want = decisionView(model.call(clock.now, 1));
      const wrong: string[] = [];
      for (let i = 0; i < keys; i++) {
        const got = decisionView(limiter.consumeSync(`k${i}`));
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`k${i}`);
      }
      expect(wrong).toEqual([]);
      for (const boundary of [1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097]) {
        expect(limiter.consumeSync(`k${boundary}`, 0).remaining, `k${boundary}`).toBe(0);
      }
    });
  }

  it('a table bounded by maxKeys below a doubling grows to maxKeys exactly and keeps every key', () => {
    const clock = { now: 1_000 };
    const store = new MemoryStore({ sweepInterval: false, maxKeys: 1_500 });
    const limiter = clocked({ capacity: 1, refillRate: 1, interval: '1h', store }, clock);
    for (let i = 0; i < 1_500; i++) limiter.consumeSync(`k${i}`);
    expect(store.size).toBe(1_500);
    for (let i = 0; i < 1_500; i++) expect(limiter.consumeSync(`k${i}`).allowed, `k${i}`).toBe(false);
  });
});

describe('MemoryStore key table growth by doubling', () => {
  it('a store with room for millions of keys that holds a thousand takes kilobytes of slabs, not its maximum', () => {
    const store = new MemoryStore({ sweepInterval: false, maxKeys: 10_000_000, maxBytes: 2 ** 30 });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store, clock: () => 1_000 });
    limiter.consumeSync('first');
    const before = process.memoryUsage().arrayBuffers;
    // Past the first 1,024 slots: the slabs double to 2,048 (about 18 KB for one band).
    for (let i = 0; i < 1_100; i++) limiter.consumeSync(`k${i}`);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1_000_000);
    expect(store.size).toBe(1_101);
  });
});

describe('MemoryStore with multi-band limiters and many keys', () => {
  const limits: Limit[] = [
    { capacity: 5, refillRate: 3, interval: 1000 },
    { capacity: 40, refillRate: 7, interval: '1m' },
    { capacity: 100, refillRate: 11, interval: '1h' },
  ];

  it('3 bands × 5,000 keys: each key decides as the reference model over several rounds', () => {
    const clock = { now: 1_700_000_000_000 };
    const store = new MemoryStore({ sweepInterval: false });
    const limiter = clocked({ limits, store }, clock);
    const keyed = new KeyedModel(limits, limiter);
    const keys = 5_000;
    const mismatches: unknown[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < keys; i++) {
        // Costs differ per key, so each key's state is its own.
        const mismatch = keyed.call(`user-${i}`, clock.now, 1 + ((i + round) % 5));
        if (mismatch !== undefined && mismatches.length < 5) mismatches.push(mismatch);
      }
      clock.now += 337 + round * 1_009;
    }
    expect(mismatches).toEqual([]);
    expect(store.size).toBe(keys);
  });

  it('two multi-band limiters with different band counts share a store without touching each other’s keys', () => {
    const clock = { now: 10_000_000 };
    const store = new MemoryStore({ sweepInterval: false });
    const two = limits.slice(0, 2);
    const a = new KeyedModel(limits, clocked({ limits, store }, clock));
    const b = new KeyedModel(two, clocked({ limits: two, store }, clock));
    const mismatches: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2_100; i++) {
        for (const keyed of [a, b]) {
          const mismatch = keyed.call(`k${i}`, clock.now, 1 + (i % 3));
          if (mismatch !== undefined && mismatches.length < 5) mismatches.push(mismatch);
        }
      }
      clock.now += 2_500;
    }
    expect(mismatches).toEqual([]);
  });
});

describe('MemoryStore eviction (CLOCK)', () => {
  function store4(maxKeys: number) {
    const clock = { now: 1_000 };
    const store = new MemoryStore({ sweepInterval: false, maxKeys });
    const limiter = clocked({ capacity: 10, refillRate: 1, interval: '1h', store }, clock);
    /** Tokens left, or 10 for a key the store no longer holds. */
    const left = (key: string) => limiter.consumeSync(key, 0).remaining;
    return { store, limiter, left };
  }

  it('the hand clears reference bits on its way, wraps around, and evicts the first key it finds unused', () => {
    const { store, limiter, left } = store4(3);
    for (const key of ['a', 'b', 'c']) limiter.consumeSync(key);
    for (const key of ['a', 'b', 'c']) limiter.consumeSync(key); // all used since inserted: 8 left each
    // Every key has its bit set: the hand clears a, b, c, wraps around and evicts a.
    limiter.consumeSync('d');
    expect(store.size).toBe(3);
    expect([left('a'), left('b'), left('c'), left('d')]).toEqual([10, 8, 8, 9]);
    // Those looks set the bits of b, c and d again (a is gone: its look kept nothing).
    // The hand goes on after a: clears b, c, d, wraps around, and evicts b.
    limiter.consumeSync('e');
    expect(store.size).toBe(3);
    expect([left('b'), left('c'), left('d'), left('e')]).toEqual([10, 8, 9, 9]);
  });

  function keyTable() {
    const policy = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s' }).policy;
    return new KeyTable(1, policy, 16);
  }

  it('a table without keys has nothing to evict (and the hand does not spin)', () => {
    const table = keyTable();
    expect(table.evictOne()).toBeUndefined();
    const slot = table.allocate('a');
    table.referenced[slot] = 1;
    expect(table.evictOne()).toBe('a'); // one lap clears its bit, the next evicts it
    expect(table.evictOne()).toBeUndefined();
  });

  it('with the hand at the end of the circle and every bit set, a third lap evicts the first key', () => {
    const table = keyTable();
    for (const key of ['a', 'b', 'c']) table.allocate(key);
    table.referenced[0] = 1;
    table.referenced[1] = 1;
    expect(table.evictOne()).toBe('c'); // clears a and b, evicts c: the hand is at the end
    table.referenced[0] = 1;
    table.referenced[1] = 1;
    // The rest of the circle is empty, the next lap clears a and b, the third evicts a.
    expect(table.evictOne()).toBe('a');
    expect([...table.slots.keys()]).toEqual(['b']);
    expect(table.referenced[1]).toBe(0);
  });

  it('a key used since the hand last passed survives; the next unused one goes', () => {
    const { store, limiter, left } = store4(4);
    for (const key of ['k1', 'k2', 'k3', 'k4']) limiter.consumeSync(key, 2);
    limiter.consumeSync('k1');
    limiter.consumeSync('k3');
    limiter.consumeSync('k5', 2); // passes k1 (clears it), evicts k2
    expect(store.size).toBe(4);
    limiter.consumeSync('k6', 2); // goes on after k2: passes k3 (clears it), evicts k4
    expect(store.size).toBe(4);
    // Read the survivors through consumes of 0 only after the evictions (they set reference bits too).
    expect([left('k1'), left('k2'), left('k3'), left('k4'), left('k5'), left('k6')]).toEqual([7, 10, 7, 10, 8, 8]);
  });

  it('a store full of one limiter’s keys evicts from that limiter for another; a limiter with keys evicts its own', () => {
    const clock = { now: 1_000 };
    const store = new MemoryStore({ sweepInterval: false, maxKeys: 4 });
    const options = { capacity: 5, refillRate: 1, interval: '1h', store } as const;
    const a = clocked({ ...options, prefix: 'a:' }, clock);
    const b = clocked({ ...options, prefix: 'b:' }, clock);
    // A third limiter whose (empty) table comes last: eviction must skip empty tables.
    const c = clocked({ ...options, prefix: 'c:' }, clock);
    for (const key of ['a1', 'a2', 'a3', 'a4']) a.consumeSync(key, 2);
    b.consumeSync('b1', 2); // b has no key: one of a's goes (the first, CLOCK)
    expect(store.size).toBe(4);
    expect(['a1', 'a2', 'a3', 'a4'].map((key) => a.consumeSync(key, 0).remaining)).toEqual([5, 3, 3, 3]);
    b.consumeSync('b2', 2); // b has a key now: b evicts its own
    expect(store.size).toBe(4);
    expect([b.consumeSync('b1', 0).remaining, b.consumeSync('b2', 0).remaining]).toEqual([5, 3]);
    expect(['a2', 'a3', 'a4'].map((key) => a.consumeSync(key, 0).remaining)).toEqual([3, 3, 3]);
    expect(c.consumeSync('c1', 0).remaining).toBe(5);
  });

  it('several limiters filling one store up to maxBytes stay within it, and their kept keys decide right', () => {
    const clock = { now: 1_000 };
    const store = new MemoryStore({ sweepInterval: false, maxBytes: 65_536 });
    const limiters = [
      clocked({ capacity: 3, refillRate: 1, interval: '1h', store, prefix: 'one:' }, clock),
      clocked({ capacity: 3, refillRate: 7, interval: 3001, store, prefix: 'frac:' }, clock),
      clocked(
        {
          limits: [
            { capacity: 3, refillRate: 1, interval: '1h' },
            { capacity: 9, refillRate: 1, interval: '1d' },
          ],
          store,
          prefix: 'multi:',
        },
        clock,
      ),
    ];
    let most = 0;
    for (let i = 0; i < 3_000; i++) {
      (limiters[i % 3] as RateLimiter).consumeSync(`key-${i}-${'x'.repeat(i % 40)}`);
      most = Math.max(most, store.bytes);
    }
    expect(most).toBeLessThanOrEqual(65_536);
    expect(most).toBeGreaterThan(60_000);
    // The newest key of each limiter is held with its one token taken.
    for (let i = 2_997; i < 3_000; i++) {
      expect((limiters[i % 3] as RateLimiter).consumeSync(`key-${i}-${'x'.repeat(i % 40)}`, 0).remaining).toBe(2);
    }
  });
});

/** Every timer the code under test sets from now on, through setTimeout or setInterval (fake ones where installed). */
function recordTimers(): { hasRef(): boolean }[] {
  const handles: { hasRef(): boolean }[] = [];
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const set = globalThis[name] as (callback: () => void, delay?: number) => { hasRef(): boolean };
    vi.spyOn(globalThis, name).mockImplementation(((callback: () => void, delay?: number) => {
      const handle = set(callback, delay);
      handles.push(handle);
      return handle;
    }) as never);
  }
  return handles;
}

/** A store sweeping every `sweepInterval`, and rounds of one key for each pass to drop next to one it must keep. */
function sweptStore(sweepInterval: Duration) {
  const clock = { now: 0 };
  const store = new MemoryStore({ sweepInterval });
  const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', store, clock: () => clock.now });
  return {
    store,
    limiter,
    clock,
    /** Puts 'keep' in the store (again, after close()). */
    begin: () => limiter.consumeSync('keep'),
    /** Uses `key`, then 10 s later 'keep': at the store's latest time `key` is full again, 'keep' is not. */
    stale(key: string) {
      limiter.consumeSync(key);
      clock.now += 10_000;
      limiter.consumeSync('keep');
    },
  };
}

describe('MemoryStore background sweep timer', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('sweeps at every interval on an unref’d timer, and again after close() once keys come back', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const timers = recordTimers();
    const { store, begin, stale } = sweptStore('1s');
    for (const life of ['first', 'after close()']) {
      begin();
      for (let pass = 1; pass <= 3; pass++) {
        stale(`${life} ${pass}`);
        expect(store.size).toBe(2);
        await vi.advanceTimersByTimeAsync(1_000);
        expect(store.size, `${life}, pass ${pass}`).toBe(1);
      }
      store.close();
      expect(vi.getTimerCount()).toBe(0);
    }
    expect(timers).toHaveLength(2);
    expect(timers.map((timer) => timer.hasRef())).toEqual([false, false]);
  });

  it('a sweepInterval beyond a Node timer’s range sweeps at every interval, on long timeouts all unref’d', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const timers = recordTimers();
    const { store, begin, stale } = sweptStore('30d');
    begin();
    for (let pass = 1; pass <= 3; pass++) {
      stale(`stale ${pass}`);
      await vi.advanceTimersByTimeAsync(30 * 86_400_000);
      expect(store.size, `pass ${pass}`).toBe(1);
      expect(vi.getTimerCount()).toBe(1);
    }
    // Two links of at most 2^31 − 1 ms per 30 days, the first pair armed by the first key, the others by each pass.
    expect(timers).toHaveLength(7);
    expect(timers.filter((timer) => timer.hasRef())).toEqual([]);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a sweepInterval of exactly the longest native timer is one interval: passes add no timer, close() clears it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const timers = recordTimers();
    const { store, begin, stale } = sweptStore(MAX_TIMER_MS);
    begin();
    for (let pass = 1; pass <= 3; pass++) {
      stale(`stale ${pass}`);
      await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
      expect(store.size, `pass ${pass}`).toBe(1);
      expect(vi.getTimerCount()).toBe(1);
    }
    expect(timers).toHaveLength(1);
    expect(timers[0]?.hasRef()).toBe(false);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a pass still walking a large store when the interval comes round is not started twice: 10,000 keys a turn', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { store, limiter, clock } = sweptStore('1s');
    for (let i = 0; i < 30_000; i++) limiter.consumeSync(`k${i}`);
    clock.now = 5_000;
    limiter.consumeSync('now', 0); // tells the store the time (every key is full again); keeps nothing
    vi.advanceTimersByTime(1_000); // the pass starts: its first chunk
    expect(store.size).toBe(20_000);
    vi.advanceTimersByTime(1_000); // the interval again before the event loop turned: the pass just goes on
    expect(store.size).toBe(20_000);
    const sizes: number[] = [];
    for (let turn = 0; turn < 4; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      sizes.push(store.size);
    }
    expect(sizes).toEqual([10_000, 0, 0, 0]);
    expect(vi.getTimerCount()).toBe(0); // the pass that left the store empty stopped the timer
  });

  it('is armed by the first key, and close() leaves no timer behind', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const store = new MemoryStore({ sweepInterval: '1s' });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => 0 });
    expect(vi.getTimerCount()).toBe(0);
    limiter.consumeSync('k');
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(store.size).toBe(0);
    // Closed means empty, not broken: a later call starts from a full bucket and arms the sweep again.
    expect(limiter.consumeSync('k').remaining).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops its timer once a pass leaves the store empty', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const clock = { now: 0 };
    const store = new MemoryStore({ sweepInterval: '1s' });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => clock.now });
    limiter.consumeSync('k');
    clock.now = 5_000;
    limiter.consumeSync('other', 0); // tells the store the time; keeps nothing
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(store.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a sweepInterval beyond a Node timer’s range is a long timeout, and close() clears it', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
    const store = new MemoryStore({ sweepInterval: '30d' });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => 0 });
    limiter.consumeSync('k');
    expect(vi.getTimerCount()).toBe(1);
    store.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
