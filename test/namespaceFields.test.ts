import { afterAll, describe, expect, it } from 'vitest';
import { limitsFingerprint } from '../src/core/keyNamespace.js';
import { compileBand, type LimitOptions, MemoryStore, RateLimiter, RedisStore, SluiceConfigError, type Store } from '../src/index.js';
import { redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

type Limits = { capacity: number; refillRate: number; interval: number }[];

const fingerprintOf = (limits: Limits) =>
  limitsFingerprint(limits.map(({ capacity, refillRate, interval }) => compileBand(capacity, refillRate, interval)));

/** The first two candidates whose limits fingerprints collide (24 bits: a birthday search over a few thousand). */
function firstCollision(candidates: Iterable<Limits>): [Limits, Limits] {
  const seen = new Map<string, Limits>();
  for (const limits of candidates) {
    const fingerprint = fingerprintOf(limits);
    const earlier = seen.get(fingerprint);
    if (earlier !== undefined) return [earlier, limits];
    seen.set(fingerprint, limits);
  }
  throw new Error('no collision among the candidates');
}

function* counting(from: number, to: number, make: (n: number) => Limits | undefined): Generator<Limits> {
  for (let n = from; n <= to; n++) {
    const limits = make(n);
    if (limits !== undefined) yield limits;
  }
}

/** The divisors of 2^10 · 3^6 · 5^4 · 7^3 · 11^2 · 13 (9,240 of them): capacity × interval is that for each. */
function divisorPairs(): Generator<Limits> {
  let divisors = [1];
  for (const [prime, power] of [
    [2, 10],
    [3, 6],
    [5, 4],
    [7, 3],
    [11, 2],
    [13, 1],
  ] as const) {
    divisors = divisors.flatMap((d) => Array.from({ length: power + 1 }, (_, i) => d * prime ** i));
  }
  const product = Math.max(...divisors);
  return counting(0, divisors.length - 1, (i) => {
    const interval = divisors[i] as number;
    return [{ capacity: product / interval, refillRate: 1, interval }];
  });
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Pairs of limits that get one namespace under one prefix although they differ in one field of what decides a
 * bucket. Each differs in exactly one of the numbers the store compares: the band units per ms (scale), the
 * emission interval in those units, the tolerance, the band count, a later band.
 */
const collisions: [string, Limits, Limits][] = [
  // capacity 5 at s per 1000 ms, s coprime with 1000: scale s, emission 1000, tolerance 5000 for every s.
  [
    'refillRate (the scale alone)',
    ...firstCollision(counting(1, 1e6, (s) => (gcd(s, 1000) === 1 ? [{ capacity: 5, refillRate: s, interval: 1000 }] : undefined))),
  ],
  // 1 token per `interval` ms, capacity × interval fixed: scale 1 and tolerance equal, the emission interval differs.
  ['interval and capacity (the emission interval alone, same tolerance)', ...firstCollision(divisorPairs())],
  ['interval (emission and tolerance)', ...firstCollision(counting(1, 1e6, (interval) => [{ capacity: 3, refillRate: 1, interval }]))],
  [
    'the second band',
    ...firstCollision(
      counting(1, 1e6, (capacity) => [
        { capacity: 10, refillRate: 1, interval: 1000 },
        { capacity, refillRate: 1, interval: 60_000 },
      ]),
    ),
  ],
  // Found once by a search over 2^24 candidates: one band, and the same band followed by a second.
  [
    'the band count (a first band alike)',
    [{ capacity: 10, refillRate: 1, interval: 1000 }],
    [
      { capacity: 10, refillRate: 1, interval: 1000 },
      { capacity: 8_182_892, refillRate: 1, interval: 1000 },
    ],
  ],
];

const limiterOf = (limits: Limits, store: Store, prefix: string) => new RateLimiter({ limits: limits as LimitOptions[], store, prefix });

const redis = redisOptions();
const clients: ReturnType<typeof redisClient>[] = [];
afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit()));
});
const stores: [string, (() => Store) | undefined][] = [
  ['memory', () => new MemoryStore({ sweepInterval: false })],
  [
    'redis',
    redis &&
      (() => {
        const client = redisClient();
        clients.push(client);
        return new RedisStore({ client });
      }),
  ],
];

describe.each(stores)('limits that differ in one field but share a namespace are refused by a %s store', (_name, makeStore) => {
  it.skipIf(makeStore === undefined).each(collisions)('%s', (_field, first, second) => {
    expect(fingerprintOf(first)).toBe(fingerprintOf(second));
    const store = (makeStore as () => Store)();
    const prefix = uniquePrefix('fields');
    // In both orders: the store holding either one refuses the other.
    for (const [held, other] of [
      [first, second],
      [second, first],
    ] as const) {
      const heldPrefix = `${prefix}${held === first ? 'a' : 'b'}:`;
      limiterOf(held, store, heldPrefix);
      expect(() => limiterOf(other, store, heldPrefix)).toThrow(SluiceConfigError);
      expect(() => limiterOf(other, store, heldPrefix)).toThrow(/`prefix` gives a limiter of .* same namespace in this store/);
      // The same limits again share the namespace on purpose.
      expect(() => limiterOf(held, store, heldPrefix)).not.toThrow();
    }
  });
});

describe('limits that differ in one field under one prefix keep their buckets apart', () => {
  const base = { capacity: 4, refillRate: 2, interval: 1000 };
  const hourly = { capacity: 100, refillRate: 1, interval: 60_000 };
  const variants: [string, Limits, Limits][] = [
    ['capacity', [base], [{ ...base, capacity: 5 }]],
    ['refillRate', [base], [{ ...base, refillRate: 3 }]],
    ['interval', [base], [{ ...base, interval: 1001 }]],
    ['band count', [base], [base, hourly]],
    ['band order', [base, hourly], [hourly, base]],
  ];
  it.each(variants)('%s', (_field, reference, limits) => {
    const store = new MemoryStore({ sweepInterval: false });
    const held = limiterOf(reference, store, 'p:');
    const other = limiterOf(limits, store, 'p:');
    expect(held.consumeSync('k', 4).allowed).toBe(true);
    expect(held.consumeSync('k').allowed).toBe(false);
    // The other limiter's bucket for 'k' is untouched: it still grants the whole capacity of its smallest band.
    expect(other.consumeSync('k', 4).allowed).toBe(true);
  });
});
