/**
 * Every error sluice throws or rejects with is a SluiceError with a short message: for any value of any option
 * and any argument of any call, the outcome is a result or a SluiceError, never a TypeError, RangeError or dump.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import { HTTP_OPTION_NAMES } from '../src/http/httpLimitOptions.js';
import {
  CostExceedsCapacityError,
  MemoryStore,
  RateLimiter,
  RedisStore,
  SluiceArgumentError,
  SluiceConfigError,
  SluiceError,
  SluiceStoreError,
  StoreTimeoutError,
} from '../src/index.js';
import { RATE_LIMITER_OPTION_NAMES } from '../src/limiter/limiterOptions.js';
import { anyValue } from './setup/anyValue.js';
import { propertyRuns } from './setup/propertyRuns.js';

const anyValueOrNumber = fc.oneof(
  anyValue(2),
  fc.double(),
  fc.integer({ min: -10, max: 100 }),
  fc.string().map((description) => Symbol(description)),
  fc.func(fc.anything()),
);

/** Longest message: the fixed text of the longest check plus a bounded description of the value. */
const MAX_MESSAGE = 700;

/** Fails unless `attempt` returns (or resolves) or throws (or rejects with) a SluiceError with a short message. */
async function outcome(label: string, attempt: () => unknown): Promise<void> {
  let error: unknown;
  try {
    await attempt();
    return;
  } catch (thrown) {
    error = thrown;
  }
  if (!(error instanceof SluiceError)) throw new Error(`${label}: threw ${String(error)}, not a SluiceError`);
  if (error.message.length > MAX_MESSAGE) throw new Error(`${label}: a message of ${error.message.length} characters`);
}

// Every option name, as the code knows them.
const LIMITER_OPTIONS = [...RATE_LIMITER_OPTION_NAMES];
const HTTP_OPTIONS = [...HTTP_OPTION_NAMES];

describe('every error is a SluiceError with a short message', () => {
  it('for any value of any option', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...LIMITER_OPTIONS),
        fc.constantFrom(...HTTP_OPTIONS),
        anyValueOrNumber,
        async (option, httpOption, value) => {
          await outcome(`RateLimiter ${option}`, () => new RateLimiter({ capacity: 2, refillRate: 1, [option]: value } as never));
          await outcome(
            `limits[0].${option}`,
            () => new RateLimiter({ limits: [{ capacity: 2, refillRate: 1, [option]: value }] } as never),
          );
          await outcome(`rateLimit ${httpOption}`, () => rateLimit({ capacity: 2, refillRate: 1, [httpOption]: value } as never));
          await outcome('RateLimiter options', () => new RateLimiter(value as never));
          await outcome('MemoryStore options', () => new MemoryStore(value as never));
          await outcome('MemoryStore maxKeys', () => new MemoryStore({ maxKeys: value } as never));
          await outcome('MemoryStore sweepInterval', () => new MemoryStore({ sweepInterval: value } as never));
          await outcome('RedisStore options', () => new RedisStore(value as never));
          await outcome('RedisStore client', () => new RedisStore({ client: value } as never));
        },
      ),
      { numRuns: propertyRuns(300) },
    );
  });

  it('for any argument of any call, cost above the capacity included', async () => {
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
    const full = () => new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
    const cost = fc.oneof(anyValueOrNumber, fc.double({ min: 2, max: 1e6, noNaN: true }));
    await fc.assert(
      fc.asyncProperty(anyValueOrNumber, cost, anyValueOrNumber, async (key, amount, options) => {
        await outcome('consume', () => limiter.consume(key as never, amount as never));
        await outcome('consume with a good key', () => limiter.consume('k', amount as never));
        await outcome('consumeSync', () => limiter.consumeSync('k', amount as never));
        await outcome('peek', () => limiter.peek(key as never));
        await outcome('reset', () => limiter.reset(key as never));
        // A full bucket each time: an allowed wait resolves at once instead of sleeping.
        await outcome('wait', () => full().wait('k', amount as never, options as never));
        await outcome('wait options', () => full().wait('k', 1, { maxWaitMs: options } as never));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('consume does not throw: every error comes as a rejected promise', () => {
    const limiter = new RateLimiter({ capacity: 2, refillRate: 1 });
    for (const [key, cost] of [
      ['', 1],
      [42, 1],
      ['k', -1],
      ['k', 3],
    ] as const) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = limiter.consume(key as never, cost);
      }).not.toThrow();
      expect(promise).toBeInstanceOf(Promise);
      promise?.catch(() => undefined);
    }
  });
});

describe('each error class', () => {
  const secret = { nested: { token: 'not for the logs' } };
  // Built inside each test, so that the error is made while the test runs (as a caller's would be).
  const cases: [string, () => Error, abstract new (...args: never[]) => Error][] = [
    ['SluiceError', () => new SluiceError('plain'), SluiceError],
    ['SluiceConfigError', () => new SluiceConfigError('capacity', secret, 'must be a number'), SluiceError],
    ['SluiceArgumentError', () => new SluiceArgumentError('key', secret, 'must be a string'), SluiceError],
    ['CostExceedsCapacityError', () => new CostExceedsCapacityError(5, 2), SluiceArgumentError],
    ['SluiceStoreError', () => new SluiceStoreError('down'), SluiceError],
    ['StoreTimeoutError', () => new StoreTimeoutError(250), SluiceStoreError],
  ];

  it.each(cases)('%s has its own name, shown first when printed', (name, make, parent) => {
    const error = make();
    expect(error.name).toBe(name);
    expect(error).toBeInstanceOf(parent);
    expect(String(error)).toBe(`${name}: ${error.message}`);
    expect(inspect(error)).toMatch(new RegExp(`^${name}: `));
  });

  it.each([
    ['SluiceConfigError', new SluiceConfigError('capacity', secret, 'must be a number')],
    ['SluiceArgumentError', new SluiceArgumentError('key', secret, 'must be a string')],
  ])('%s holds the value, hidden from keys and inspection, and read-only', (_, error) => {
    expect(error.value).toBe(secret);
    expect(Object.getOwnPropertyDescriptor(error, 'value')).toEqual({
      value: secret,
      enumerable: false,
      writable: false,
      configurable: true,
    });
    expect(Object.keys(error)).not.toContain('value');
    expect(inspect(error)).not.toContain('not for the logs');
    expect(() => {
      (error as { value: unknown }).value = 'replaced';
    }).toThrow(TypeError);
    expect(error.value).toBe(secret);
    // Configurable, so a subclass or a caller that must redact it can still replace or delete it.
    expect(delete (error as { value?: unknown }).value).toBe(true);
    expect('value' in error).toBe(false);
  });

  it('CostExceedsCapacityError names the argument cost unless told a band', () => {
    const error = new CostExceedsCapacityError(5, 2);
    expect(error.argument).toBe('cost');
    expect(error.message).toBe('sluice: argument `cost` must be at most the capacity (2), or the call could never succeed; got 5');
    expect(new CostExceedsCapacityError(5, 2, 'cost.burst').argument).toBe('cost.burst');
  });

  it('StoreTimeoutError says which timeout passed', () => {
    const error = new StoreTimeoutError(250);
    expect(error.timeoutMs).toBe(250);
    expect(error.message).toBe('sluice: the store did not answer within timeoutMs (250 ms)');
  });
});
