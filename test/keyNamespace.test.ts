import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeKey, keyNamespace, limitsFingerprint, namespaceConflict } from '../src/core/keyNamespace.js';
import { type LimitOptions, MemoryStore, RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import { propertyRuns } from './setup/propertyRuns.js';
import { redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

const bandsOf = (...limits: LimitOptions[]) => new RateLimiter({ limits }).limits;
const one = (capacity: number, refillRate: number, interval: LimitOptions['interval'] = '1m') =>
  bandsOf({ capacity, refillRate, interval });

/** Two capacities whose limits fingerprints collide (24 bits: a birthday search finds one in a few thousand). */
function collidingCapacities(): [number, number] {
  const seen = new Map<string, number>();
  for (let capacity = 1; ; capacity++) {
    const fingerprint = limitsFingerprint(one(capacity, 1));
    const earlier = seen.get(fingerprint);
    if (earlier !== undefined) return [earlier, capacity];
    seen.set(fingerprint, capacity);
  }
}

describe('keyNamespace', () => {
  it('is the escaped prefix, a 4-character fingerprint of the limits, and |', () => {
    expect(keyNamespace('sl:', one(5, 5, '15m'))).toMatch(/^sl:[A-Za-z0-9_-]{4}\|$/);
    expect(keyNamespace('a|b{c}%', one(5, 5))).toMatch(/^a%7Cb%7Bc%7D%25[A-Za-z0-9_-]{4}\|$/);
    expect(keyNamespace('', one(5, 5))).toMatch(/^[A-Za-z0-9_-]{4}\|$/);
  });

  it('differs for limits that differ in capacity, refill rate, interval or band count; not for the same limit written otherwise', () => {
    const base = limitsFingerprint(one(5, 5, '15m'));
    const others = [
      one(6, 5, '15m'),
      one(5, 4, '15m'),
      one(5, 5, '16m'),
      bandsOf({ capacity: 5, refillRate: 5, interval: '15m' }, { capacity: 100, refillRate: 100, interval: '1d' }),
      bandsOf({ capacity: 100, refillRate: 100, interval: '1d' }, { capacity: 5, refillRate: 5, interval: '15m' }),
    ];
    const fingerprints = others.map(limitsFingerprint);
    expect(new Set([base, ...fingerprints]).size).toBe(others.length + 1);
    // 5 per 15 min = 1 per 3 min; band names only label headers.
    expect(limitsFingerprint(one(5, 1, '3m'))).toBe(base);
    expect(limitsFingerprint(bandsOf({ capacity: 5, refillRate: 5, interval: '15m', name: 'login' }))).toBe(base);
    // Stable across processes and versions: it is part of every Redis key name.
    expect(base).toBe(limitsFingerprint(one(5, 5, 900_000)));
  });

  it('never lets two (prefix, key) pairs meet in one name (one band and several)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', ':', '|', '{', '}', '%', '7', 'C', 'B', 'D', '2', '5'), maxLength: 8 });
    const oneBand = one(5, 5);
    const twoBands = bandsOf({ capacity: 5, refillRate: 5 }, { capacity: 9, refillRate: 1 });
    fc.assert(
      fc.property(text, text, text, text, fc.boolean(), (prefixA, keyA, prefixB, keyB, multi) => {
        const bands = multi ? twoBands : oneBand;
        const name = (prefix: string, key: string, band: number) =>
          RedisStore.keyOf({ prefix, namespace: keyNamespace(prefix, bands), bands }, key, band);
        if (prefixA === prefixB && keyA === keyB) return;
        for (let band = 0; band < bands.length; band++) expect(name(prefixA, keyA, band)).not.toBe(name(prefixB, keyB, band));
        if (multi) expect(name(prefixA, keyA, 0)).not.toBe(name(prefixB, keyB, 1));
      }),
      { numRuns: propertyRuns(5000) },
    );
  });

  it('the inputs of the issue give distinct names', () => {
    const bands = one(5, 5);
    const name = (prefix: string, key: string) => RedisStore.keyOf({ prefix, namespace: keyNamespace(prefix, bands), bands }, key);
    expect(name('P:', 'a:b')).not.toBe(name('P:a:', 'b'));
    expect(name('P', ':x')).not.toBe(name('P:', 'x'));
    expect(name('sl:', 'route:/login:203.0.113.7')).not.toBe(name('sl:route:/login:', '203.0.113.7'));
    expect(name('P|', 'x')).not.toBe(name('P', '|x'));
  });
});

describe('a fingerprint collision (different limits, one namespace) is refused where a store can see it', () => {
  const [first, second] = collidingCapacities();
  const redis = redisOptions();
  const stores: [string, (() => { store: MemoryStore | RedisStore; prefix: string }) | undefined][] = [
    ['memory', () => ({ store: new MemoryStore({ sweepInterval: false }), prefix: 'sl:' })],
    ['redis', redis && (() => ({ store: new RedisStore({ client: redisClient() }), prefix: uniquePrefix('collision') }))],
  ];
  it.each(stores)('%s store', (_name, make) => {
    if (make === undefined) return;
    const { store, prefix } = make();
    const a = new RateLimiter({ capacity: first, refillRate: 1, interval: '1m', store, prefix });
    expect(a.policy.namespace).toBe(keyNamespace(prefix, one(second, 1)));
    const build = () => new RateLimiter({ capacity: second, refillRate: 1, interval: '1m', store, prefix });
    expect(build).toThrow(SluiceConfigError);
    expect(build).toThrow(new RegExp(`\`prefix\` gives a limiter of ${second} tokens .* as a limiter of ${first} tokens .*another prefix`));
    // The same limits again are fine (they share buckets on purpose), and so is another prefix.
    expect(() => new RateLimiter({ capacity: first, refillRate: 1, interval: '1m', store, prefix })).not.toThrow();
    expect(() => new RateLimiter({ capacity: second, refillRate: 1, interval: '1m', store, prefix: `${prefix}x` })).not.toThrow();
  });
});

describe('escapeKey', () => {
  it('percent-escapes %, { and } wherever they are, and leaves a key without them as it is', () => {
    expect(escapeKey('user:42')).toBe('user:42');
    expect(escapeKey('%{}')).toBe('%25%7B%7D');
    expect(escapeKey('a%b{c}d')).toBe('a%25b%7Bc%7Dd');
  });

  it('writes a lone surrogate as %u and its code unit in upper-case hex', () => {
    expect(escapeKey('a\uD8AB')).toBe('a%uD8AB');
    expect(escapeKey('\uDCEFz{')).toBe('%uDCEFz%7B');
    expect(escapeKey('\uD83D\uDE00')).toBe('\uD83D\uDE00');
  });
});

describe('namespaceConflict', () => {
  it('describes both limiters by their limits and asks for another prefix', () => {
    const held = new RateLimiter({ prefix: 'p:', capacity: 5, refillRate: 1, interval: '1s' }).policy;
    const policy = new RateLimiter({
      prefix: 'p:',
      limits: [
        { capacity: 10, refillRate: 2, interval: '1m' },
        { capacity: 100, refillRate: 100, interval: '1h' },
      ],
    }).policy;
    const error = namespaceConflict(held, policy);
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect(error.option).toBe('prefix');
    expect(error.message).toBe(
      'sluice: option `prefix` gives a limiter of 10 tokens refilled at 2 per 60000 ms and 100 tokens refilled at 100 per 3600000 ms ' +
        'the same namespace in this store as a limiter of 5 tokens refilled at 1 per 1000 ms (their limits fingerprints collide); ' +
        'give one of them another prefix; got "p:"',
    );
  });
});
