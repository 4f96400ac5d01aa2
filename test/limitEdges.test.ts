/**
 * Limits at the edges of what numbers hold: each is either honoured exactly (checked against the BigInt
 * model) or refused at construction (or at the call, for call arguments) with an error that names the
 * option, the value and the range.
 */
import { describe, expect, it } from 'vitest';
import {
  CostExceedsCapacityError,
  compileBand,
  parseDuration,
  RateLimiter,
  type RateLimiterOptions,
  SluiceArgumentError,
  SluiceConfigError,
} from '../src/index.js';
import { GcraModel, type ModelLimit } from './gcraModel.js';

function refusal(options: Record<string, unknown>): SluiceConfigError {
  try {
    new RateLimiter(options as unknown as RateLimiterOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceConfigError);
    return error as SluiceConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('limits that numbers cannot hold exactly are refused at construction', () => {
  it('interval 1e308 (capacity 10): refused, naming interval, its value and the range', () => {
    const error = refusal({ capacity: 10, refillRate: 1, interval: 1e308 });
    expect(error.option).toBe('interval');
    expect(error.message).toMatch(/`interval`.*2\^51.*1e\+308/);
  });

  it('refillRate 1e308: refused, naming refillRate', () => {
    const error = refusal({ capacity: 10, refillRate: 1e308 });
    expect(error.option).toBe('refillRate');
    expect(error.message).toMatch(/`refillRate`.*2\^40.*1e\+308/);
  });

  it('capacity 1e308: refused, naming capacity and the largest capacity this rate allows', () => {
    const error = refusal({ capacity: 1e308, refillRate: 1, interval: 1000 });
    expect(error.option).toBe('capacity');
    expect(error.message).toMatch(/`capacity`.*from 1 to 2251799813685\b.*1e\+308/);
  });

  it.each([0.5, 1.5, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5', null, 2 ** 53, 1e16])('capacity %s: refused', (capacity) => {
    const error = refusal({ capacity, refillRate: 1 });
    expect(error.option).toBe('capacity');
    expect(error.message).toMatch(/`capacity` must be a positive, finite number: a whole number of tokens from 1 to/);
  });

  it.each([0, -2, Number.NaN, Number.POSITIVE_INFINITY, '5', 1e300, 1.23456789012345])(
    'refillRate %s: refused, naming refillRate',
    (refillRate) => {
      expect(refusal({ capacity: 5, refillRate }).option).toBe('refillRate');
    },
  );

  it('a rate whose emission interval needs more than 2^51 units: refused, naming the option that makes it so', () => {
    expect(refusal({ capacity: 1, refillRate: 1e-300 }).option).toBe('refillRate');
    expect(refusal({ capacity: 1, refillRate: 3, interval: 1e17 }).option).toBe('interval');
    expect(refusal({ capacity: 1, refillRate: 1, interval: 1e-300 }).option).toBe('interval');
  });

  it('products past 2^53: capacity × emission interval in band units is bounded, and the bound is in the message', () => {
    // 7 per 1e10 ms: emission 1e10 units, so capacity may be at most floor(2^51 / 1e10) = 225179.
    const error = refusal({ capacity: 1_000_000, refillRate: 7, interval: 1e10 });
    expect(error.message).toMatch(/from 1 to 225179 /);
    expect(() => new RateLimiter({ capacity: 225_179, refillRate: 7, interval: 1e10 })).not.toThrow();
    expect(
      refusal({
        limits: [
          { capacity: 5, refillRate: 1 },
          { capacity: 225_180, refillRate: 7, interval: 1e10 },
        ],
      }).option,
    ).toBe('limits[1].capacity');
  });

  it.each([
    '1e400ms',
    '1e3ms',
    `${'9'.repeat(400)}ms`,
    '-5s',
    '0s',
    '',
    '5 fortnights',
    '1 decade',
    Number.POSITIVE_INFINITY,
    -1,
    0,
    Number.NaN,
    null,
  ])('interval %s: refused, naming interval', (interval) => {
    const error = refusal({ capacity: 5, refillRate: 1, interval });
    expect(error.option).toBe('interval');
  });

  it('an interval computed in floating point (1.005 * 1000 = 1004.9999999999999) is refused, naming interval, not rounded', () => {
    const error = refusal({ capacity: 5, refillRate: 1, interval: 1.005 * 1000 });
    expect(error.option).toBe('interval');
    expect(error.message).toMatch(/fewer significant digits; got 1004\.9999999999999/);
    expect(() => new RateLimiter({ capacity: 5, refillRate: 1, interval: '1.005s' })).not.toThrow();
  });

  it('a week and a year as an interval: 7 per week is one token a day; a year is 365.25 days', async () => {
    const clock = { now: 0 };
    const weekly = new RateLimiter({ capacity: 1, refillRate: 7, interval: '1 week', clock: () => clock.now });
    await weekly.consume('k');
    expect((await weekly.consume('k')).retryAfterMs).toBe(86_400_000);
    expect(new RateLimiter({ capacity: 1, refillRate: 1, interval: '1y' }).limits[0]?.intervalMs).toBe(31_557_600_000);
  });

  it('durations as strings are exact: 1.005s is 1005 ms and 1.1h is 3,960,000 ms (not 1004.9999999999999, 3960000.0000000005)', () => {
    expect(parseDuration('1.005s', 'interval')).toBe(1005);
    expect(parseDuration('1.1h', 'interval')).toBe(3_960_000);
    expect(parseDuration('4.35m', 'interval')).toBe(261_000);
    expect(parseDuration('0.7s', 'interval')).toBe(700);
    expect(new RateLimiter({ capacity: 1, refillRate: 11, interval: '1.1s' }).limits[0]).toMatchObject({ scale: 1, emission: 100 });
  });
});

describe('limits at the edges that numbers do hold are honoured exactly', () => {
  const cases: ModelLimit[] = [
    { capacity: 2_251_799_813_685, refillRate: 1, interval: 1000 }, // the largest capacity at 1 per second
    { capacity: 10, refillRate: 1, interval: 1e12 }, // a token every 31 years
    { capacity: 3, refillRate: 1, interval: 0.5 }, // an interval below 1 ms
    { capacity: 1000, refillRate: 1, interval: '0.001ms' }, // 1000 tokens per ms
    { capacity: 4, refillRate: 1.5, interval: '0.5s' }, // a fractional rate over a fractional interval
    { capacity: 7, refillRate: 0.1, interval: 1 }, // one tenth, as written, not the double nearest it
    { capacity: 5, refillRate: 1_099_511_627_776, interval: 1 }, // scale 2^40, the largest
  ];
  it.each(cases)('%o', (limit) => {
    let now = 1_764_000_000_000;
    const limiter = new RateLimiter({ ...limit, interval: limit.interval as number, clock: () => now });
    const model = new GcraModel([limit]);
    const costs = [0, 1, limit.capacity, 1, 2, limit.capacity, 0, 1];
    for (const [i, cost] of costs.entries()) {
      now += [0, 1, 7, 1000, 0.5, 86_400_000][i % 6] as number;
      const want = model.call(now, cost);
      const { allowed, limit: capacity, remaining, retryAfterMs, resetMs } = limiter.consumeSync('k', cost);
      expect({ allowed, limit: capacity, remaining, retryAfterMs, resetMs }).toEqual({ ...want, bands: undefined, delayMs: undefined });
    }
  });

  it('compileBand (exported for custom stores and tools) checks the same ranges', () => {
    expect(() => compileBand(1e308, 1, 1000)).toThrow(/`capacity`/);
    expect(compileBand(5, 1.5, 500)).toMatchObject({ scale: 3, emission: 1000, tolerance: 5000 });
  });
});

describe('call arguments at the edges are refused at the call, naming the argument, the value and the range', () => {
  const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1s' });

  it.each([0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1, '1'])('cost %s', async (cost) => {
    await expect(limiter.consume('k', cost as number)).rejects.toThrow(SluiceArgumentError);
    await expect(limiter.consume('k', cost as number)).rejects.toThrow(/`cost` must be a whole number of tokens/);
    await expect(limiter.wait('k', cost as number)).rejects.toThrow(/`cost`/);
    expect(() => limiter.consumeSync('k', cost as number)).toThrow(/`cost`/);
  });

  it('a whole cost above capacity (also 2^53) is a CostExceedsCapacityError', async () => {
    await expect(limiter.consume('k', 6)).rejects.toThrow(CostExceedsCapacityError);
    await expect(limiter.consume('k', 2 ** 53)).rejects.toThrow(CostExceedsCapacityError);
  });

  it.each([1e308, Number.POSITIVE_INFINITY, Number.NaN, -1, '5', 2 ** 53])('maxWaitMs %s', async (maxWaitMs) => {
    const wait = limiter.wait('k', 1, { maxWaitMs: maxWaitMs as number });
    await expect(wait).rejects.toThrow(SluiceArgumentError);
    await expect(limiter.wait('k', 1, { maxWaitMs: maxWaitMs as number })).rejects.toThrow(
      new RegExp(`\`maxWaitMs\` must be a number of ms from 0 to ${limiter.maxWaitMs}`),
    );
  });

  it('maxWaitMs up to the limiter’s bound is accepted; the bound covers any realistic wait', async () => {
    // 1 per second: emission 1000 units of 1 ms, so waits up to 2^52 − 5000 ms (142,000 years).
    expect(limiter.maxWaitMs).toBe(2 ** 52 - 5000);
    await expect(limiter.wait('bound', 1, { maxWaitMs: limiter.maxWaitMs })).resolves.toMatchObject({ allowed: true });
    const fine = new RateLimiter({ capacity: 1, refillRate: 1_000_003, interval: 1000 });
    expect(fine.maxWaitMs).toBeGreaterThan(40 * 86_400_000); // over a year, even at a million and three per second
  });

  it.each([Number.NaN, -1, undefined, '5', 2 ** 53, Number.POSITIVE_INFINITY])(
    'a clock returning %s is refused at the call',
    async (value) => {
      const broken = new RateLimiter({ capacity: 5, refillRate: 1, clock: () => value as number });
      await expect(broken.consume('k')).rejects.toThrow(SluiceConfigError);
      await expect(broken.consume('k')).rejects.toThrow(/`clock` must return ms as a number from 0 to 2\^52/);
      await expect(broken.peek('k')).rejects.toThrow(/`clock`/);
      await expect(broken.wait('k', 1, { maxWaitMs: 10 })).rejects.toThrow(/`clock`/);
      expect(() => broken.consumeSync('k')).toThrow(/`clock`/);
    },
  );
});
