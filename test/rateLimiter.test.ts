import { describe, expect, it } from 'vitest';
import { CostExceedsCapacityError, MemoryStore, RateLimiter, SluiceArgumentError, SluiceConfigError, SluiceError } from '../src/index.js';
import { SlowStore } from './setup/slowStore.js';

function limiterAt(options: Record<string, unknown> = {}) {
  const clock = { now: 1_000_000 };
  const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1s', clock: () => clock.now, ...options } as never);
  return { limiter, clock };
}

describe('RateLimiter: one band', () => {
  // The burst-then-deny basics run for every store in test/storeContract.ts (MemoryStore included).

  it('refills continuously, not in steps', async () => {
    const { limiter, clock } = limiterAt({ capacity: 10, refillRate: 10, interval: '1s' });
    await limiter.consume('k', 10);
    clock.now += 250; // 2.5 tokens back
    const d = await limiter.consume('k', 2);
    expect(d).toMatchObject({ allowed: true, remaining: 0, resetMs: 950 });
    const denied = await limiter.consume('k', 1);
    // 0.5 tokens in the bucket: 50 ms to the next whole one.
    expect(denied).toMatchObject({ allowed: false, retryAfterMs: 50 });
  });

  it('never holds more than capacity after a long idle time', async () => {
    const { limiter, clock } = limiterAt();
    await limiter.consume('k', 5);
    clock.now += 1e9;
    expect(await limiter.peek('k')).toMatchObject({ remaining: 5, resetMs: 0 });
  });

  it('peek looks without taking, reset fills the bucket', async () => {
    const { limiter } = limiterAt();
    await limiter.consume('k', 3);
    expect((await limiter.peek('k')).remaining).toBe(2);
    expect((await limiter.peek('k')).remaining).toBe(2);
    await limiter.reset('k');
    expect((await limiter.peek('k')).remaining).toBe(5);
  });

  it('keeps keys apart and consumeSync agrees with consume', async () => {
    const { limiter } = limiterAt();
    limiter.consumeSync('a', 5);
    expect(limiter.consumeSync('a').allowed).toBe(false);
    expect((await limiter.consume('b')).allowed).toBe(true);
  });

  it('a refund of 1 gives one token back, and a charge of 1 takes one, on both paths', async () => {
    const { limiter } = limiterAt();
    await limiter.consume('k', 3);
    expect((await limiter.refund('k', 1)).remaining).toBe(3);
    expect(limiter.refundSync('k', 1).remaining).toBe(4);
    expect((await limiter.charge('k', 1)).remaining).toBe(3);
    expect(limiter.chargeSync('k', 1).remaining).toBe(2);
    expect((await limiter.consume('k', 1)).remaining).toBe(1);
  });

  it('refundSync, like refund, is never refused: a refund of 0 on a bucket in debt is allowed and not blocked', () => {
    const { limiter } = limiterAt({ capacity: 5, refillRate: 1, interval: '1m', blockDuration: '10m' });
    limiter.chargeSync('k', 8);
    expect(limiter.refundSync('k', 0)).toMatchObject({ allowed: true, blocked: false, remaining: 0, retryAfterMs: 0 });
    expect(limiter.refundSync('k', 4)).toMatchObject({ allowed: true, blocked: false, remaining: 1 });
  });

  it('retryAfterMs of a denial is exact for a fractional emission interval', async () => {
    const { limiter } = limiterAt({ capacity: 1, refillRate: 3, interval: 1000 });
    expect((await limiter.consume('k')).allowed).toBe(true);
    expect((await limiter.consume('k')).retryAfterMs).toBe(334); // 333.33 rounded up
  });
});

describe('RateLimiter: bad input', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['capacity 0', { capacity: 0, refillRate: 1 }, 'capacity'],
    ['capacity Infinity', { capacity: Number.POSITIVE_INFINITY, refillRate: 1 }, 'capacity'],
    ['capacity as string', { capacity: '5', refillRate: 1 }, 'capacity'],
    ['refillRate -1', { capacity: 5, refillRate: -1 }, 'refillRate'],
    ['refillRate 0', { capacity: 5, refillRate: 0 }, 'refillRate'],
    ['interval unparsable', { capacity: 5, refillRate: 1, interval: '1 fortnight' }, 'interval'],
    ['interval negative', { capacity: 5, refillRate: 1, interval: -5 }, 'interval'],
    ['interval zero string', { capacity: 5, refillRate: 1, interval: '0s' }, 'interval'],
    ['a typo', { capasity: 5, refillRate: 1 }, 'capasity'],
    ['limits empty', { limits: [] }, 'limits'],
    ['limits and capacity', { limits: [{ capacity: 1, refillRate: 1 }], capacity: 3 }, 'capacity'],
    [
      'limits entry bad',
      {
        limits: [
          { capacity: 1, refillRate: 1 },
          { capacity: 1, refillRate: 0 },
        ],
      },
      'limits[1].refillRate',
    ],
    ['limits entry typo', { limits: [{ capacity: 1, refillRate: 1, intervall: 5 }] }, 'limits[0].intervall'],
    ['store not a store', { capacity: 5, refillRate: 1, store: {} }, 'store'],
    ['timeoutMs 0', { capacity: 5, refillRate: 1, timeoutMs: 0 }, 'timeoutMs'],
    ['onStoreError unknown', { capacity: 5, refillRate: 1, onStoreError: 'ignore' }, 'onStoreError'],
  ];
  it.each(cases)('%s throws a SluiceConfigError naming the option and value', (_, options, option) => {
    let error: unknown;
    try {
      new RateLimiter(options as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as SluiceConfigError).option).toBe(option);
    expect((error as Error).message).toContain(`\`${option}\``);
  });

  it('suggests the intended name for a typo', () => {
    expect(() => new RateLimiter({ capasity: 5, refillRate: 1 } as never)).toThrow(/did you mean `capacity`/);
  });

  it('rejects bad keys and costs with errors naming them', async () => {
    const { limiter } = limiterAt();
    await expect(limiter.consume('')).rejects.toThrow(SluiceArgumentError);
    await expect(limiter.consume(42 as never)).rejects.toThrow(/`key`.*42/);
    await expect(limiter.consume('k', -1)).rejects.toThrow(/`cost`.*-1/);
    await expect(limiter.consume('k', Number.NaN)).rejects.toThrow(/`cost`.*NaN/);
    await expect(limiter.consume('k', 6)).rejects.toThrow(CostExceedsCapacityError);
    await expect(limiter.consume('k', 6)).rejects.toBeInstanceOf(SluiceArgumentError);
    await expect(limiter.consume('k', 6)).rejects.toBeInstanceOf(SluiceError);
    expect(() => limiter.consumeSync('', 1)).toThrow(SluiceArgumentError);
    await expect(limiter.peek(undefined as never)).rejects.toThrow(SluiceArgumentError);
    // Nothing was taken by the rejected calls.
    expect((await limiter.peek('k')).remaining).toBe(5);
  });

  it('every call refuses a key that is not a non-empty string, saying what it must be, before reaching the store', async () => {
    const { limiter } = limiterAt();
    const calls: [string, (key: string) => unknown][] = [
      ['consume', (key) => limiter.consume(key)],
      ['consumeSync', (key) => limiter.consumeSync(key)],
      ['consumeSync of cost 2', (key) => limiter.consumeSync(key, 2)],
      ['peek', (key) => limiter.peek(key)],
      ['reset', (key) => limiter.reset(key)],
      ['wait', (key) => limiter.wait(key)],
      ['charge', (key) => limiter.charge(key, 1)],
      ['chargeSync', (key) => limiter.chargeSync(key, 1)],
      ['refund', (key) => limiter.refund(key, 1)],
      ['refundSync', (key) => limiter.refundSync(key, 1)],
    ];
    for (const [call, run] of calls) {
      for (const [key, shown] of [
        ['', "''"],
        [42, '42'],
        [undefined, 'undefined'],
      ] as const) {
        let error: unknown;
        try {
          await run(key as never);
        } catch (caught) {
          error = caught;
        }
        expect(error, `${call}(${shown})`).toBeInstanceOf(SluiceArgumentError);
        expect((error as SluiceArgumentError).argument).toBe('key');
        expect((error as Error).message, `${call}(${shown})`).toMatch(/^sluice: argument `key` must be a non-empty string; got /);
      }
    }
    expect((await limiter.peek('k')).remaining).toBe(5);
  });

  it('the synchronous calls refuse an asynchronous store, naming the store and the call to use instead', () => {
    const store = new SlowStore(1);
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, store });
    for (const [call, run, instead] of [
      ['consumeSync', () => limiter.consumeSync('k'), 'consume'],
      ['chargeSync', () => limiter.chargeSync('k', 1), 'charge'],
      ['refundSync', () => limiter.refundSync('k', 1), 'refund'],
    ] as const) {
      let error: unknown;
      try {
        run();
      } catch (caught) {
        error = caught;
      }
      expect(error, call).toBeInstanceOf(SluiceConfigError);
      expect((error as SluiceConfigError).option).toBe('store');
      expect((error as Error).message).toBe(
        `sluice: option \`store\` is asynchronous; ${call} needs a synchronous store such as MemoryStore (use ${instead}); got "SlowStore"`,
      );
    }
    store.close();
  });

  it('wait() refuses options that are not an object, naming `options`', async () => {
    const { limiter } = limiterAt();
    for (const options of [null, 5, 'fast', true]) {
      const error = await limiter.wait('k', 1, options as never).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(SluiceArgumentError);
      expect((error as SluiceArgumentError).argument).toBe('options');
      expect((error as Error).message).toMatch(/`options` must be an object \{ maxWaitMs, signal \}; got /);
    }
    expect((await limiter.peek('k')).remaining).toBe(5);
  });

  it('a blockDuration of exactly maxWaitMs is accepted, one ms more is refused', () => {
    const limit = { capacity: 2, refillRate: 1, interval: '1s' } as const;
    const longest = new RateLimiter(limit).maxWaitMs;
    expect(new RateLimiter({ ...limit, blockDuration: longest }).blockMs).toBe(longest);
    expect(() => new RateLimiter({ ...limit, blockDuration: longest + 1 })).toThrow(
      new RegExp(`\`blockDuration\` must be at most ${longest} ms for these limits`),
    );
  });

  it('a MemoryStore rejects bad options too', () => {
    expect(() => new MemoryStore({ maxKeys: 0 })).toThrow(/`maxKeys`.*0/);
    expect(() => new MemoryStore({ maxkeys: 5 } as never)).toThrow(/`maxkeys`/);
    expect(() => new MemoryStore({ sweepInterval: 'often' as never })).toThrow(/`sweepInterval`/);
  });
});

describe('sharedOptions', () => {
  it('are the defaults a limiter was built with when none were given', () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s' });
    expect(limiter.sharedOptions).toStrictEqual({
      store: limiter.store,
      clock: undefined,
      timeoutMs: 100,
      onStoreError: 'allow',
      onDegraded: undefined,
      blockDuration: undefined,
    });
  });

  it('a blockDuration of 0 is none, as in rate-limiter-flexible: no block, and none to share', () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s', blockDuration: 0 });
    expect([limiter.blockMs, limiter.sharedOptions.blockDuration]).toEqual([0, undefined]);
  });

  it('are the options as given (blockDuration in whole ms), frozen, and make a limiter that fails and blocks alike', () => {
    const store = new MemoryStore();
    const clock = () => 1_000;
    const onDegraded = () => {};
    const fallback = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s' });
    const limiter = new RateLimiter({
      capacity: 10,
      refillRate: 10,
      interval: '1m',
      store,
      clock,
      timeoutMs: 250,
      onStoreError: fallback,
      onDegraded,
      blockDuration: '2m',
    });
    expect(limiter.sharedOptions).toStrictEqual({
      store,
      clock,
      timeoutMs: 250,
      onStoreError: fallback,
      onDegraded,
      blockDuration: 120_000,
    });
    expect(Object.isFrozen(limiter.sharedOptions)).toBe(true);
    const beside = new RateLimiter({ ...limiter.sharedOptions, capacity: 3, refillRate: 3, interval: '1h', prefix: 'beside:' });
    expect([beside.store, beside.timeoutMs, beside.blockMs, beside.sharedOptions]).toStrictEqual([
      store,
      250,
      120_000,
      limiter.sharedOptions,
    ]);
  });
});
