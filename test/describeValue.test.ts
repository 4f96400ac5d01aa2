import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeValue, MAX_DESCRIPTION_LENGTH } from '../src/core/describeValue.js';
import { MemoryStore, RateLimiter, RedisStore, SluiceArgumentError, SluiceConfigError, SluiceStoreError } from '../src/index.js';
import { anyValue } from './setup/anyValue.js';
import { propertyRuns } from './setup/propertyRuns.js';

/** Values that made error messages huge or made describing them throw. */
function hostileValues(): [string, unknown][] {
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  const withThrowingGetter = Object.defineProperty({ a: 1 }, 'boom', {
    enumerable: true,
    get() {
      throw new Error('getter ran');
    },
  });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const trapsThrow = new Proxy(
    {},
    {
      get() {
        throw new Error('get trap');
      },
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
      getOwnPropertyDescriptor() {
        throw new Error('descriptor trap');
      },
    },
  );
  const bigLimiter = new RateLimiter({ capacity: 5, refillRate: 5, store: new MemoryStore() });
  for (let i = 0; i < 5000; i++) bigLimiter.consumeSync(`key-${i}`);
  const longName = Object.defineProperty(() => 0, 'name', { value: 'f'.repeat(100_000) });
  const hugeMessage = new Error('m'.repeat(100_000));
  return [
    ['a string of 1 MB', 'x'.repeat(1_000_000)],
    ['a string of control characters', '\u0000'.repeat(10_000)],
    ['a string of emoji', '😀'.repeat(10_000)],
    ['an array of a million numbers', Array.from({ length: 1_000_000 }, (_, i) => i)],
    ['a sparse array', new Array(1e9)],
    ['a Float64Array of a million', new Float64Array(1_000_000)],
    ['a DataView', new DataView(new ArrayBuffer(64))],
    ['an object of 100,000 keys', Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 'v'.repeat(100)]))],
    ['a key of 100,000 characters', { ['k'.repeat(100_000)]: 1 }],
    ['a cyclic object', cyclic],
    ['an object whose getter throws', withThrowingGetter],
    ['a revoked Proxy', revoked],
    ['a Proxy whose traps throw', trapsThrow],
    ['a new RateLimiter (its MemoryStore holds typed arrays)', new RateLimiter({ capacity: 5, refillRate: 5 })],
    ['a RateLimiter holding 5,000 keys', bigLimiter],
    ['a MemoryStore', bigLimiter.store],
    ['a BigInt of 100,000 digits', 10n ** 100_000n],
    ['a Symbol with a huge description', Symbol('s'.repeat(100_000))],
    ['a function with a huge name', longName],
    ['an Error with a huge message', hugeMessage],
    ['a Map of 100,000 entries', new Map(Array.from({ length: 100_000 }, (_, i) => [i, i]))],
    ['a null-prototype object', Object.assign(Object.create(null), { a: 'b'.repeat(1000) })],
    ['an invalid Date', new Date(Number.NaN)],
    ['a RegExp of 100,000 characters', new RegExp('a'.repeat(100_000))],
    ['a Promise', Promise.resolve(1)],
  ];
}

describe('describeValue', () => {
  it.each(hostileValues())('describes %s in at most MAX_DESCRIPTION_LENGTH characters, without throwing', (_, value) => {
    const text = describeValue(value);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThanOrEqual(MAX_DESCRIPTION_LENGTH);
  });

  it('keeps its promise for any value (property)', () => {
    const anything = anyValue(3);
    const stretched = fc.oneof(
      anything,
      fc.string({ minLength: 100, maxLength: 5000, unit: 'grapheme' }),
      fc.array(fc.oneof(fc.string(), fc.double(), fc.object()), { minLength: 100, maxLength: 300 }),
      fc.dictionary(fc.string({ maxLength: 300 }), fc.oneof(fc.string({ maxLength: 500 }), fc.object()), { minKeys: 20, maxKeys: 60 }),
      fc.func(anything),
      fc.bigInt({ min: -(2n ** 5000n), max: 2n ** 5000n }),
      fc.string({ maxLength: 500 }).map((description) => Symbol(description)),
    );
    fc.assert(
      fc.property(stretched, (value) => {
        const text = describeValue(value);
        return typeof text === 'string' && text.length > 0 && text.length <= MAX_DESCRIPTION_LENGTH;
      }),
      { numRuns: propertyRuns(500) },
    );
  });

  it('stays readable: type or class, and an excerpt', () => {
    expect(describeValue('capacity')).toBe('"capacity"');
    expect(describeValue(0)).toBe('0');
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue(Number.NaN)).toBe('NaN');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(12n)).toBe('12n');
    expect(describeValue({ capacity: 5, refillRate: '1' })).toBe('{ capacity: 5, refillRate: "1" }');
    expect(describeValue([1, 'a', [2], { b: 1 }, 5])).toBe('Array(5) [1, "a", Array(1), {…}, …]');
    expect(describeValue(new Float64Array(3))).toBe('Float64Array(3) [0, 0, 0]');
    expect(describeValue(function keyOf() {})).toBe('function keyOf');
    expect(describeValue(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeValue('x'.repeat(1000))).toMatch(/^"x{80}…" \(1000 chars\)$/);
    expect(describeValue(new RateLimiter({ capacity: 5, refillRate: 5 }))).toMatch(/^RateLimiter \{ policy: \{…\}, /);
  });
});

describe('errors that quote a value', () => {
  it('an adapter given something that is not a limiter says so in a short message', async () => {
    const { rateLimit } = await import('../adapters/express.js');
    const lookalike = { store: new MemoryStore(), tats: new Float64Array(100_000), consume: () => undefined };
    let message = '';
    try {
      rateLimit({ limiter: lookalike as never });
    } catch (error) {
      expect(error).toBeInstanceOf(SluiceConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^sluice: option `limiter` must be a RateLimiter; got \{ store: MemoryStore \{…\}, tats: Float64Array\(100000\), /,
    );
    expect(message.length).toBeLessThan(250);
  });

  it.each(hostileValues())('SluiceConfigError and SluiceArgumentError quoting %s stay short', (_, value) => {
    expect(new SluiceConfigError('option', value, 'must be fine').message.length).toBeLessThan(200);
    expect(new SluiceArgumentError('argument', value, 'must be fine').message.length).toBeLessThan(200);
  });

  it('an unknown option name of any length is cut in the message', () => {
    const name = 'x'.repeat(100_000);
    let message = '';
    try {
      new RateLimiter({ capacity: 1, refillRate: 1, [name]: 1 } as never);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^sluice: option `x+…` is not a known option/);
    expect(message.length).toBeLessThan(600);
  });

  it('a failed reset quotes the key within bounds', async () => {
    const hang = {
      synchronous: false,
      update: () => new Promise<never>(() => {}),
      reset: () => Promise.reject(new Error('down')),
    };
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, store: hang as never });
    const error = await limiter.reset('k'.repeat(1_000_000)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceStoreError);
    expect((error as Error).message.length).toBeLessThan(200);
  });

  it('a RedisStore given the wrong client names it in a short message', () => {
    expect(() => new RedisStore({ client: new Float64Array(1_000_000) as never })).toThrow(
      /^sluice: option `client` must be a connected Redis client: ioredis .*; got Float64Array\(1000000\) \[0, 0, 0, 0, …\]$/,
    );
  });
});
