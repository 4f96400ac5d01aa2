/**
 * Limiters that share a store: other limits never share buckets, no prefix or key reaches another limiter's
 * names, and the same limits under the same prefix do share, across processes too (two RedisStore instances on
 * one server stand for two processes). On MemoryStore, on one Redis server and on the 3-master cluster.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type LimitOptions, MemoryStore, RateLimiter, type RateLimiterOptions, RedisStore, type Store } from '../src/index.js';
import {
  DECISION_TIMEOUT_MS,
  redisClient,
  redisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from './setup/redisTarget.js';

interface Target {
  /** Two stores on the same data: two processes (for MemoryStore, one store: it lives in one process). */
  stores(): [Store, Store];
  /** A prefix no other test uses, or '' where the store is new for each test. */
  base(): string;
}

const single = redisOptions();
const cluster = redisClusterNodes();
const targets: [string, Target | undefined][] = [
  [
    'MemoryStore',
    {
      stores: () => {
        const store = new MemoryStore({ sweepInterval: false });
        return [store, store];
      },
      base: () => '',
    },
  ],
  [
    'RedisStore',
    single && {
      stores: () => [new RedisStore({ client: redisClient() }), new RedisStore({ client: redisClient() })],
      base: () => uniquePrefix('shared'),
    },
  ],
  [
    'RedisStore on Redis Cluster',
    cluster && {
      stores: () => [new RedisStore({ client: redisClusterClient() }), new RedisStore({ client: redisClusterClient() })],
      base: () => uniquePrefix('shared'),
    },
  ],
];

const client = () => `203.0.113.${randomUUID().slice(0, 8)}`;
/** A limiter with a timeout long enough for a cluster client's first call in a loaded run (a timeout would answer for the store). */
const limiterOf = (options: RateLimiterOptions) => new RateLimiter({ timeoutMs: DECISION_TIMEOUT_MS, ...options });

describe.each(targets)('%s', (_name, target) => {
  const t = target as Target;

  it.skipIf(target === undefined)(
    'keys that differ only in lone surrogates (which UTF-8 turns into one U+FFFD) keep apart, one and several bands, short and long',
    async () => {
      const [store] = t.stores();
      const prefix = `${t.base()}\ud800`;
      for (const options of [
        { capacity: 1, refillRate: 1, interval: '1h' },
        {
          limits: [
            { capacity: 1, refillRate: 1, interval: '1h' },
            { capacity: 5, refillRate: 5, interval: '1d' },
          ],
        },
      ] as RateLimiterOptions[]) {
        const limiter = limiterOf({ ...options, store, prefix });
        for (const stem of [client(), `${client()}${'x'.repeat(80)}`]) {
          const keys = [`${stem}\ufffd`, `${stem}\ud800`, `${stem}\udfff`, `${stem}\udbff`, `${stem}\ud800\udfff`, `${stem}%uD800`];
          for (const key of keys) expect((await limiter.consume(key)).allowed, JSON.stringify(key)).toBe(true);
          for (const key of keys) expect((await limiter.consume(key)).allowed, JSON.stringify(key)).toBe(false);
        }
      }
    },
  );

  it.skipIf(target === undefined)(
    'a login limiter (5 per 15 min) and an API limiter (100 per min) on the default prefix keep apart',
    async () => {
      const [store] = t.stores();
      const login = limiterOf({ capacity: 5, refillRate: 5, interval: '15m', store });
      const api = limiterOf({ capacity: 100, refillRate: 100, interval: '1m', store });
      const ip = client();
      for (let i = 0; i < 5; i++) expect((await login.consume(ip)).allowed).toBe(true);
      expect((await login.consume(ip)).allowed).toBe(false);
      expect(await api.consume(ip)).toMatchObject({ allowed: true, remaining: 99 });
      expect(await login.peek(ip)).toMatchObject({ allowed: true, remaining: 0 });
    },
  );

  it.skipIf(target === undefined)('the same two limiters in two processes keep apart; the same limits in two processes share', async () => {
    const [first, second] = t.stores();
    const prefix = t.base();
    const login = limiterOf({ capacity: 5, refillRate: 5, interval: '15m', store: first, prefix });
    const api = limiterOf({ capacity: 100, refillRate: 100, interval: '1m', store: second, prefix });
    const loginElsewhere = limiterOf({ capacity: 5, refillRate: 5, interval: '15m', store: second, prefix });
    const ip = client();
    for (let i = 0; i < 5; i++) expect((await login.consume(ip)).allowed).toBe(true);
    expect((await api.consume(ip)).remaining).toBe(99);
    expect((await loginElsewhere.consume(ip)).allowed).toBe(false);
  });

  const differing: [string, LimitOptions[], LimitOptions[]][] = [
    ['only in capacity', [{ capacity: 2, refillRate: 1, interval: '1h' }], [{ capacity: 3, refillRate: 1, interval: '1h' }]],
    ['only in refillRate', [{ capacity: 2, refillRate: 1, interval: '1h' }], [{ capacity: 2, refillRate: 2, interval: '1h' }]],
    ['only in interval', [{ capacity: 2, refillRate: 1, interval: '1h' }], [{ capacity: 2, refillRate: 1, interval: '2h' }]],
    [
      'only in band count',
      [{ capacity: 2, refillRate: 1, interval: '1h' }],
      [
        { capacity: 2, refillRate: 1, interval: '1h' },
        { capacity: 10, refillRate: 10, interval: '1d' },
      ],
    ],
    [
      'only in the order of their bands',
      [
        { capacity: 2, refillRate: 1, interval: '1h' },
        { capacity: 10, refillRate: 10, interval: '1d' },
      ],
      [
        { capacity: 10, refillRate: 10, interval: '1d' },
        { capacity: 2, refillRate: 1, interval: '1h' },
      ],
    ],
  ];
  it.skipIf(target === undefined).each(differing)('limits that differ %s, on one prefix: separate buckets', async (_what, a, b) => {
    const [store] = t.stores();
    const prefix = t.base();
    const first = limiterOf({ limits: a, store, prefix });
    const second = limiterOf({ limits: b, store, prefix });
    const key = client();
    expect((await first.consume(key, 2)).allowed).toBe(true);
    expect((await first.consume(key)).allowed).toBe(false);
    expect(await second.consume(key, 2)).toMatchObject({ allowed: true });
    expect((await first.peek(key)).remaining).toBe(0);
  });

  const boundaries: [string, string, string][] = [
    ['P:', 'a:b', 'P:a:'],
    ['P', ':x', 'P:'],
    ['P|', 'x', 'P'],
    ['P', '|x', 'P|'],
    ['P{', 'x', 'P'],
    ['P', '{x}', 'P{'],
    ['P%7B', 'x', 'P{'],
    ['P', '%7Bx', 'P{'],
    ['P:', '}x', 'P:}'],
  ];
  it.skipIf(target === undefined).each(boundaries)('prefix %j + key %j does not meet the same name under prefix %j', async (p1, k1, p2) => {
    const [store] = t.stores();
    const base = t.base();
    const limits = { capacity: 1, refillRate: 1, interval: '1h' } as const;
    const first = limiterOf({ ...limits, store, prefix: base + p1 });
    const second = limiterOf({ ...limits, store, prefix: base + p2 });
    // What the second limiter's key would be if prefix and key were simply joined: (p1 + k1) minus p2.
    const joined = p1 + k1;
    const k2 = joined.startsWith(p2) ? joined.slice(p2.length) : joined;
    expect((await first.consume(k1)).allowed).toBe(true);
    expect((await first.consume(k1)).allowed).toBe(false);
    expect((await second.consume(k2)).allowed).toBe(true);
  });

  it.skipIf(target === undefined)("a client-chosen key cannot reach a route limiter's bucket (README's `x-api-key ?? ip`)", async () => {
    const [store] = t.stores();
    const base = t.base();
    const limits = { capacity: 3, refillRate: 3, interval: '15m' } as const;
    const api = limiterOf({ ...limits, store, prefix: `${base}sl:` });
    const login = limiterOf({ ...limits, store, prefix: `${base}sl:route:/login:` });
    const loginOtherLimits = limiterOf({ capacity: 5, refillRate: 5, interval: '15m', store, prefix: `${base}sl:route:/login:` });
    const victim = client();
    for (let i = 0; i < 10; i++) await api.consume(`route:/login:${victim}`);
    expect(await login.consume(victim)).toMatchObject({ allowed: true, remaining: 2 });
    expect(await loginOtherLimits.consume(victim)).toMatchObject({ allowed: true, remaining: 4 });
  });
});

describe.skipIf(single === undefined)('Redis key names', () => {
  it('are the namespace (escaped prefix, limits fingerprint, |) and the escaped key', async () => {
    const redis = redisClient();
    const store = new RedisStore({ client: redis });
    const limiter = limiterOf({ capacity: 5, refillRate: 5, interval: '15m', store });
    const key = `203.0.113.${Math.floor(Math.random() * 256)}`;
    await limiter.consume(key);
    const name = RedisStore.keyOf(limiter, key);
    expect(name).toMatch(/^sl:[A-Za-z0-9_-]{4}\|203\.0\.113\.\d+$/);
    expect(name).toBe(limiter.policy.namespace + key);
    expect(await redis.exists(name)).toBe(1);
    await limiter.reset(key);
    expect(await redis.exists(name)).toBe(0);
  });
});
