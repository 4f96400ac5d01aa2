import { describe, expect, it } from 'vitest';
import { RateLimiter, type RateLimiterOptions, SluiceConfigError } from '../src/index.js';

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
