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

/** Whether `text` holds a surrogate that is not half of a pair. */
function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

describe('describeValue: the exact text for each kind of value', () => {
  it('a Symbol shows its description, or nothing when it has none', () => {
    expect(describeValue(Symbol())).toBe('Symbol()');
    expect(describeValue(Symbol('retry'))).toBe('Symbol(retry)');
  });

  it('a function shows its name; a function without one is anonymous', () => {
    const nameless = () => {};
    delete (nameless as { name?: string }).name;
    const numberName = Object.defineProperty(() => 0, 'name', { value: 42 });
    expect(describeValue(nameless)).toBe('function (anonymous)');
    expect(describeValue(numberName)).toBe('function (anonymous)');
    expect(describeValue(() => 0)).toBe('function (anonymous)');
  });

  it('an instance shows its class: anonymous, none (null prototype), or a prototype without a constructor', () => {
    const Anonymous = (() => class {})();
    expect(describeValue(new Anonymous())).toBe('anonymous class {}');
    expect(describeValue(Object.create(null))).toBe('[Object: null prototype] {}');
    expect(describeValue(Object.assign(Object.create(null), { a: 1 }))).toBe('[Object: null prototype] { a: 1 }');
    expect(describeValue(Object.create(Object.create(null)))).toBe('Object {}');
    expect(describeValue({ nested: Object.create(null) })).toBe('{ nested: [Object: null prototype] {…} }');
  });

  it('a typed array whose class cannot be named is a TypedArray', () => {
    expect(describeValue(Object.setPrototypeOf(new Uint8Array(2), Object.prototype))).toMatch(/^TypedArray\(/);
  });

  it('an Error shows its class and message; no message, or a class that cannot be named', () => {
    expect(describeValue(new Error())).toBe('Error: ');
    expect(describeValue(new RangeError('out of range'))).toBe('RangeError: out of range');
    // A Proxy may answer `instanceof Error` with Error.prototype and then give Object.prototype as its class.
    let asked = 0;
    const unnamed = new Proxy(new Error('lied'), {
      getPrototypeOf: () => (++asked === 1 ? Error.prototype : Object.prototype),
    });
    expect(describeValue(unnamed)).toBe('Error: lied');
  });

  it('a BigInt is written out up to 10^30 in size, and described by its bits beyond', () => {
    expect(describeValue(10n ** 30n)).toBe(`${10n ** 30n}n`);
    expect(describeValue(-(10n ** 30n))).toBe(`${-(10n ** 30n)}n`);
    expect(describeValue(10n ** 30n + 1n)).toBe('a 100-bit BigInt');
    expect(describeValue(-(10n ** 30n) - 1n)).toMatch(/^a 10\d-bit BigInt$/);
    expect(describeValue(2n ** 1000n)).toBe('a 1001-bit BigInt');
  });

  it('a Date, a RegExp, a Map, a Set and a Promise are named for what they are', () => {
    expect(describeValue(new Date(0))).toBe('Date(1970-01-01T00:00:00.000Z)');
    expect(describeValue(new Date(Number.NaN))).toBe('Date(invalid)');
    expect(describeValue(/a+b/gi)).toBe('/a+b/gi');
    expect(describeValue(new Map([[1, 2]]))).toBe('Map(1)');
    expect(describeValue(new Set([1, 2]))).toBe('Set(2)');
    expect(describeValue(Promise.resolve(1))).toBe('a Promise');
  });

  it('an array shows at most four elements, holes as empty and elements it cannot read as ?', () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeValue([1, 2, 3, 4])).toBe('Array(4) [1, 2, 3, 4]');
    expect(describeValue([1, 2, 3, 4, 5])).toBe('Array(5) [1, 2, 3, 4, …]');
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(describeValue([, 1])).toBe('Array(2) [empty, 1]');
    expect(describeValue([revoked, 1])).toBe('Array(2) [?, 1]');
    expect(describeValue(Object.defineProperty([0], 0, { get: () => 1 }))).toBe('Array(1) [[getter]]');
  });

  it('an object shows at most four own properties, getters not run, keys quoted where needed', () => {
    expect(describeValue({})).toBe('{}');
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4 })).toBe('{ a: 1, b: 2, c: 3, d: 4 }');
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toBe('{ a: 1, b: 2, c: 3, d: 4, … }');
    expect(
      describeValue({
        get a() {
          return 1;
        },
      }),
    ).toBe('{ a: [getter] }');
    expect(describeValue(Object.assign(Object.create({ inherited: 1 }), { own: 2 }))).toBe('Object { own: 2 }');
    expect(describeValue({ $a_1: 1, '1a': 2, 'a-b': 3, '': 4 })).toBe('{ $a_1: 1, "1a": 2, "a-b": 3, "": 4 }');
  });
});

describe('describeValue: cuts at its limits', () => {
  it('a string is shown whole up to its limit and cut past it (80 at the top, 20 inside)', () => {
    expect(describeValue('x'.repeat(80))).toBe(`"${'x'.repeat(80)}"`);
    expect(describeValue('x'.repeat(81))).toBe(`"${'x'.repeat(80)}…" (81 chars)`);
    expect(describeValue(['y'.repeat(20)])).toBe(`Array(1) ["${'y'.repeat(20)}"]`);
    expect(describeValue(['y'.repeat(21)])).toBe(`Array(1) ["${'y'.repeat(20)}…" (21 chars)]`);
    expect(describeValue({ ['k'.repeat(21)]: 1 })).toBe(`{ ${'k'.repeat(19)}…: 1 }`);
    expect(describeValue({ [`-${'k'.repeat(20)}`]: 1 })).toBe(`{ "-${'k'.repeat(19)}…" (21 chars): 1 }`);
  });

  it('a Symbol description, an Error message, a function name and a RegExp are cut past their limits', () => {
    expect(describeValue(Symbol('s'.repeat(20)))).toBe(`Symbol(${'s'.repeat(20)})`);
    expect(describeValue(Symbol('s'.repeat(21)))).toBe(`Symbol(${'s'.repeat(20)}…)`);
    expect(describeValue(new Error('m'.repeat(80)))).toBe(`Error: ${'m'.repeat(80)}`);
    expect(describeValue(new Error('m'.repeat(81)))).toBe(`Error: ${'m'.repeat(80)}…`);
    const named = (name: string) => Object.defineProperty(() => 0, 'name', { value: name });
    expect(describeValue(named('f'.repeat(20)))).toBe(`function ${'f'.repeat(20)}`);
    expect(describeValue(named('f'.repeat(21)))).toBe(`function ${'f'.repeat(19)}…`);
    expect(describeValue(new RegExp('r'.repeat(78)))).toBe(`/${'r'.repeat(78)}/`);
    expect(describeValue(new RegExp('r'.repeat(79)))).toBe(`/${'r'.repeat(78)}…`);
  });

  it('a cut never splits a surrogate pair, wherever in U+D800..U+DBFF its first half is', () => {
    for (const pair of ['\u{10000}', '😀', '\u{10FFFF}']) {
      // The pair would straddle the limit: it goes whole.
      expect(describeValue(`${'a'.repeat(79)}${pair}b`)).toBe(`"${'a'.repeat(79)}…" (82 chars)`);
      // The pair ends at the limit: it stays whole.
      expect(describeValue(`${'a'.repeat(78)}${pair}b`)).toBe(`"${'a'.repeat(78)}${pair}…" (81 chars)`);
      expect(describeValue(new RegExp(`${'a'.repeat(77)}${pair}`, 'u'))).toBe(`/${'a'.repeat(77)}…`);
    }
  });

  it('a lone surrogate at the limit is kept, escaped', () => {
    expect(describeValue(Symbol(`${'a'.repeat(19)}\ud800`))).toBe(`Symbol(${'a'.repeat(19)}\\ud800)`);
    expect(describeValue(new Error(`${'a'.repeat(79)}\udbff`))).toBe(`Error: ${'a'.repeat(79)}\\udbff`);
  });

  it('the description of text made of whole code points never holds or escapes half of a pair (property)', () => {
    const unit = fc.constantFrom('a', 'é', '\u{10000}', '😀', '\u{10FFFF}');
    const text = fc.string({ unit, minLength: 0, maxLength: 130 });
    const kinds = [
      (s: string) => s,
      (s: string) => [s],
      (s: string) => ({ [s]: s }),
      (s: string) => Symbol(s),
      (s: string) => new Error(s),
      (s: string) => new RegExp(s, 'u'),
      (s: string) => Object.defineProperty(() => 0, 'name', { value: s }),
    ];
    fc.assert(
      fc.property(text, fc.constantFrom(...kinds), (s, kind) => {
        const description = describeValue(kind(s));
        return description.length <= MAX_DESCRIPTION_LENGTH && !hasLoneSurrogate(description) && !/\\ud[89a-f]/i.test(description);
      }),
      { numRuns: propertyRuns(500) },
    );
  });
});
