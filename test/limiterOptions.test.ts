import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimiterOptions, SluiceArgumentError, SluiceConfigError } from '../src/index.js';

const BAD_VALUES: readonly unknown[] = ['nope', Number.NaN, -1, { a: 1 }, () => 1];
const base = { capacity: 5, refillRate: 1 };
const make = (options: Record<string, unknown>) => () => new RateLimiter(options as unknown as RateLimiterOptions);

describe('RateLimiter options: every check names the option', () => {
  const checked: Record<string, readonly unknown[]> = {
    capacity: BAD_VALUES,
    refillRate: BAD_VALUES,
    interval: BAD_VALUES,
    name: [Number.NaN, -1, { a: 1 }, () => 1, 'has space'],
    limits: BAD_VALUES,
    store: BAD_VALUES,
    prefix: [Number.NaN, -1, { a: 1 }, () => 1],
    clock: ['nope', Number.NaN, -1, { a: 1 }],
    timeoutMs: BAD_VALUES,
    onStoreError: BAD_VALUES,
    onDegraded: ['nope', Number.NaN, -1, { a: 1 }],
  };
  for (const [option, values] of Object.entries(checked)) {
    it(`rejects bad ${option}: ${values.length} values of different types`, () => {
      for (const value of values) {
        const options = option === 'limits' ? { limits: value } : { ...base, [option]: value };
        expect(make(options)).toThrow(SluiceConfigError);
        expect(make(options)).toThrow(new RegExp(`\`${option}`));
      }
    });
  }

  it('refuses a blockDuration that is not a whole number of ms, as a number or a string', () => {
    const limit = { capacity: 5, refillRate: 5, interval: '1m' } as const;
    for (const [blockDuration, shown] of [
      [0.5, /`blockDuration` must be a whole number of ms \(it is 0\.5 ms\); got 0\.5/],
      [1000.25, /`blockDuration` must be a whole number of ms.*got 1000\.25/],
      ['1.0005s', /`blockDuration` must be a whole number of ms \(it is 1000\.5 ms\); got "1\.0005s"/],
    ] as const) {
      expect(() => new RateLimiter({ ...limit, blockDuration })).toThrow(SluiceConfigError);
      expect(() => new RateLimiter({ ...limit, blockDuration })).toThrow(shown);
    }
    expect(new RateLimiter({ ...limit, blockDuration: '1.5s' }).blockMs).toBe(1500);
    expect(new RateLimiter({ ...limit, blockDuration: 250 }).blockMs).toBe(250);
  });

  it('answers peer option names with the sluice option', () => {
    expect(make({ ...base, windowMs: 60_000 })).toThrow(/`windowMs`.*use `interval`/);
    expect(make({ ...base, max: 5 })).toThrow(/`max`.*use `capacity`/);
    expect(make({ ...base, points: 5 })).toThrow(/`points`.*use `capacity`/);
    expect(make({ ...base, duration: 60 })).toThrow(/`duration`.*use `interval`/);
    expect(make({ limits: [{ ...base, windowMs: 1000 }] })).toThrow(/`limits\[0\]\.windowMs`.*use `interval`/);
  });

  it('reports several unknown options in one error', () => {
    let error: unknown;
    try {
      make({ ...base, windowMs: 1, max: 2, capacty: 3 })();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SluiceConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/windowMs/);
    expect(message).toMatch(/`max`: another library's option: use `capacity`/);
    expect(message).toMatch(/`capacty`: did you mean `capacity`\?/);
  });

  it('reports every unknown wait() option at once', async () => {
    const limiter = new RateLimiter(base);
    await expect(limiter.wait('k', 1, { maxWait: 1, timeout: 2 } as never)).rejects.toThrow(/maxWait.*timeout|timeout.*maxWait/);
  });
});

/** The error `build` throws (or undefined when it does not throw). */
function thrown(build: () => unknown): Error | undefined {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

describe('RateLimiter options: every check says what the option must be', () => {
  const messages: [what: string, build: () => unknown, option: string, says: string][] = [
    ['a name with a space', make({ ...base, name: 'a b' }), 'name', 'must be a non-empty string of letters, digits and _ . : * -'],
    ['an empty limits array', make({ limits: [] }), 'limits', 'must be a non-empty array of { capacity, refillRate, interval }'],
    ['a limits entry of null', make({ limits: [null] }), 'limits[0]', 'must be an object { capacity, refillRate, interval }'],
    ['a limits entry of 5', make({ limits: [base, 5] }), 'limits[1]', 'must be an object { capacity, refillRate, interval }'],
    [
      'a store of {}',
      make({ ...base, store: {} }),
      'store',
      'must be a Store (an object with update() and reset()), e.g. new MemoryStore()',
    ],
    [
      'a store whose updateInto is no function',
      make({ ...base, store: { update: () => undefined, reset: () => undefined, updateInto: 'yes' } }),
      'store.updateInto',
      'must be a function when present (see Store)',
    ],
    ['a prefix of 5', make({ ...base, prefix: 5 }), 'prefix', 'must be a string'],
    ['a clock of 5', make({ ...base, clock: 5 }), 'clock', 'must be a function returning ms'],
    ['a timeoutMs of 0', make({ ...base, timeoutMs: 0 }), 'timeoutMs', 'must be a positive, finite number of ms'],
    [
      'an onStoreError of "ALLOW"',
      make({ ...base, onStoreError: 'ALLOW' }),
      'onStoreError',
      "must be 'allow', 'deny', 'throw' or a fallback RateLimiter",
    ],
    ['an onDegraded of "log"', make({ ...base, onDegraded: 'log' }), 'onDegraded', 'must be a function'],
    [
      'options of null',
      () => new RateLimiter(null as never),
      'options',
      'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }',
    ],
    [
      'options of 5',
      () => new RateLimiter(5 as never),
      'options',
      'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }',
    ],
    [
      'capacity next to limits',
      make({ capacity: 5, limits: [base] }),
      'capacity',
      'cannot be combined with `limits`; put it inside each entry of `limits`',
    ],
  ];
  it.each(messages)('%s: a SluiceConfigError naming the option, saying what it must be', (_what, build, option, says) => {
    const error = thrown(build);
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as SluiceConfigError).option).toBe(option);
    expect((error as Error).message).toContain(`\`${option}\` ${says}; got `);
  });

  it('a store with an updateInto function is accepted', () => {
    const store = { update: () => undefined, reset: () => undefined, updateInto: () => undefined };
    expect(new RateLimiter({ ...base, store } as never).store).toBe(store);
  });

  it('wait() refuses a signal that is no AbortSignal, saying what it must be', async () => {
    const limiter = new RateLimiter(base);
    const error = await limiter.wait('k', 1, { signal: { aborted: false } as never }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(SluiceArgumentError);
    expect((error as Error).message).toMatch(/`signal` must be an AbortSignal; got /);
  });
});
