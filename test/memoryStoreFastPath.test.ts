import { describe, expect, it } from 'vitest';
import type { Policy } from '../src/core/store.js';
import { type LimitOptions, MemoryStore, RateLimiter, type StoreResult } from '../src/index.js';

describe('MemoryStore one-band path', () => {
  it('keeps every key exact while its slabs grow past 1024 and 2048 keys (one band and two)', () => {
    const shapes: LimitOptions[][] = [
      [{ capacity: 5, refillRate: 1, interval: '1h' }],
      [
        { capacity: 5, refillRate: 1, interval: '1h' },
        { capacity: 7, refillRate: 3, interval: '1s' },
      ],
    ];
    for (const limits of shapes) {
      const limiter = new RateLimiter({ limits, store: new MemoryStore({ sweepInterval: false }), clock: () => 1_000 });
      for (let i = 0; i < 2100; i++) expect(limiter.consumeSync(`k${i}`, 2).remaining).toBe(3);
      for (let i = 0; i < 2100; i++) expect(limiter.consumeSync(`k${i}`, 3).remaining).toBe(0);
      expect(limiter.consumeSync('k2099').allowed).toBe(false);
    }
  });

  it('a refund or a look that leaves the bucket full drops the key; a denied call keeps it as it was', () => {
    const store = new MemoryStore({ sweepInterval: false });
    let now = 1_000;
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => now });
    expect(limiter.consumeSync('a', 2).allowed).toBe(true);
    expect(store.size).toBe(1);
    const denied = limiter.consumeSync('a');
    expect(denied).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1000, resetMs: 2000 });
    now += 2000;
    expect(limiter.consumeSync('a', 0)).toMatchObject({ allowed: true, remaining: 2, resetMs: 0 });
    expect(store.size).toBe(0);
    const result = store.update(limiter.policy, 'b', -1, 0, now);
    expect({ allowed: result.allowed, ahead: result.aheads[0] }).toEqual({ allowed: true, ahead: 0 });
    expect(store.size).toBe(0);
  });

  it('a call straight to the store for more tokens than a full bucket holds is refused and keeps no entry', () => {
    const store = new MemoryStore({ sweepInterval: false });
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1s', store, clock: () => 1_000 });
    // The limiter refuses such a cost itself; a caller of the Store contract gets a denial.
    const result = store.update(limiter.policy, 'new', 3, 0, 1_000);
    expect({ allowed: result.allowed, now: result.now, ahead: result.aheads[0] }).toEqual({ allowed: false, now: 1_000, ahead: 0 });
    expect(store.size).toBe(0);
    expect(limiter.consumeSync('new', 2)).toMatchObject({ allowed: true, remaining: 0 });
  });
});

describe('result checks', () => {
  it("a subclass of MemoryStore that overrides update is checked like a user's store", () => {
    class Broken extends MemoryStore {
      override update(_policy: Policy, _key: string): StoreResult {
        return { allowed: true } as unknown as StoreResult;
      }
    }
    const errors: unknown[] = [];
    const limiter = new RateLimiter({
      capacity: 3,
      refillRate: 1,
      interval: '1s',
      store: new Broken(),
      onStoreError: 'deny',
      onDegraded: (event) => errors.push(event.error),
    });
    expect(limiter.consumeSync('a')).toMatchObject({ allowed: false, degraded: true });
    expect(String(errors[0])).toMatch(/not a result/);
  });

  it('a subclass that keeps MemoryStore.update answers as MemoryStore does', () => {
    class Counting extends MemoryStore {}
    const limiter = new RateLimiter({ capacity: 3, refillRate: 1, interval: '1s', store: new Counting(), clock: () => 5 });
    expect(limiter.consumeSync('a')).toMatchObject({ allowed: true, remaining: 2, degraded: false });
  });
});

describe('MemoryStore options', () => {
  it.each([
    ['maxKeys', [0, -1, 1.5, Number.NaN, '10', null, true, {}]],
    ['maxBytes', [1024, 65_535, 1e6 + 0.5, Number.POSITIVE_INFINITY, '1e6', null, false, []]],
    ['sweepInterval', [0, -5, Number.NaN, 'often', '', null, true, {}]],
  ] as const)('%s: every bad value is refused, naming the option', (name, values) => {
    for (const value of values) {
      expect(() => new MemoryStore({ [name]: value } as never), `${name}: ${String(value)}`).toThrow(new RegExp(`\`${name}\``));
    }
  });

  it('several unknown options in one error, with the sluice option for a peer name and the closest for a typo', () => {
    let message = '';
    try {
      new MemoryStore({ maxKey: 10, cache: 5, bogus: 1 } as never);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/maxKey.*cache.*bogus/);
    expect(message).toMatch(/did you mean `maxKeys`/);
    expect(message).toMatch(/MemoryStore\(\{ maxKeys \}\)/);
  });

  it('each error says what the option must be, in full', () => {
    const messageOf = (build: () => unknown) => {
      try {
        build();
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
      return 'no error';
    };
    expect(messageOf(() => new MemoryStore({ maxKeys: 0 }))).toBe(
      'SluiceConfigError: sluice: option `maxKeys` must be a positive integer; got 0',
    );
    expect(messageOf(() => new MemoryStore({ maxKeys: '10' } as never))).toBe(
      'SluiceConfigError: sluice: option `maxKeys` must be a positive integer; got "10"',
    );
    expect(messageOf(() => new MemoryStore({ maxBytes: 65_535 }))).toBe(
      'SluiceConfigError: sluice: option `maxBytes` must be an integer number of bytes ≥ 65536; got 65535',
    );
    // Not an object at all: said so, rather than a TypeError from reading its fields.
    for (const [options, shown] of [
      [null, 'null'],
      [5, '5'],
      ['maxKeys', '"maxKeys"'],
    ] as const) {
      expect(messageOf(() => new MemoryStore(options as never))).toBe(
        `SluiceConfigError: sluice: option \`MemoryStore options\` must be an object; got ${shown}`,
      );
    }
  });

  it('reads the defaults', () => {
    const store = new MemoryStore();
    expect({ maxKeys: store.maxKeys, maxBytes: store.maxBytes }).toEqual({ maxKeys: 1_000_000, maxBytes: 128 * 1024 * 1024 });
    expect(() => new MemoryStore({ sweepInterval: false })).not.toThrow();
  });
});
