import { afterAll, describe, expect, it } from 'vitest';
import { IpRangeSet } from '../src/http/ipRange.js';
import { MemoryStore, RateLimiter, RedisStore, SluiceConfigError } from '../src/index.js';
import { redisClient, redisOptions } from './setup/redisTarget.js';

/**
 * Every constructor check, each with several bad values of different types: a check that accepted one of them
 * (a `typeof` dropped, `<` for `<=`, a bound off by one) lets that value through. Each must be refused at
 * construction with a SluiceConfigError naming the option and holding the value.
 */
type Case = [option: string, bad: unknown[], build: (value: unknown) => unknown];

const notNumbers = ['5', null, true, {}, [], () => 5, 5n];
const withoutNull = notNumbers.filter((value) => value !== null);
const limit = { capacity: 5, refillRate: 1, interval: 1000 };
const limiter = (options: object) => () => new RateLimiter({ ...limit, ...options } as never);
const store = new MemoryStore({ sweepInterval: false });

const cases: Case[] = [
  ['capacity', [...notNumbers, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53], (v) => limiter({ capacity: v })()],
  [
    'refillRate',
    [...notNumbers, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY],
    (v) => limiter({ refillRate: v })(),
  ],
  [
    'interval',
    [null, true, {}, [], 0, -1, Number.NaN, Number.POSITIVE_INFINITY, '', '1 fortnight', '-1s', 'ms'],
    (v) => limiter({ interval: v })(),
  ],
  ['name', [null, 5, true, {}, '', 'a b', 'a"b', 'é'], (v) => limiter({ name: v })()],
  ['limits', [null, 5, 'x', {}, [], true], (v) => new RateLimiter({ limits: v } as never)],
  ['limits[0]', [null, 5, 'x', true], (v) => new RateLimiter({ limits: [v] } as never)],
  ['limits[1].capacity', [...notNumbers, 0, -3, 2.5], (v) => new RateLimiter({ limits: [limit, { ...limit, capacity: v }] } as never)],
  ['store', [null, 5, 'memory', {}, { update: () => undefined }, { reset: () => undefined }], (v) => limiter({ store: v })()],
  ['prefix', [null, 5, true, {}, ['a']], (v) => limiter({ prefix: v })()],
  ['clock', [5, 'now', {}, true, null], (v) => limiter({ clock: v })()],
  ['timeoutMs', [...notNumbers, 0, -1, Number.NaN, Number.POSITIVE_INFINITY], (v) => limiter({ timeoutMs: v })()],
  ['onStoreError', ['ALLOW', 'fallback', 5, null, {}, true, () => 'allow', store], (v) => limiter({ onStoreError: v })()],
  ['onDegraded', [5, 'log', {}, true, null], (v) => limiter({ onDegraded: v })()],
  ['maxKeys', [...notNumbers, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY], (v) => new MemoryStore({ maxKeys: v } as never)],
  [
    'maxBytes',
    [...notNumbers, 0, 65_535, 70_000.5, Number.NaN, Number.POSITIVE_INFINITY],
    (v) => new MemoryStore({ maxBytes: v } as never),
  ],
  ['sweepInterval', [null, true, {}, 0, -1, Number.NaN, 'often'], (v) => new MemoryStore({ sweepInterval: v } as never)],
  [
    'allowList[0]',
    [5, null, {}, '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8.5', 'example.com', '2001:db8::/129', '2001:db8::/x', '1.2.3.4/'],
    (v) => new IpRangeSet([v as string], 'allowList'),
  ],
];

describe.each(cases)('%s', (option, bad, build) => {
  it.each(
    bad.map((value) => [
      String(typeof value === 'function' ? 'a function' : typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? value)),
      value,
    ]),
  )('refuses %s', (_label, value) => {
    let error: unknown;
    try {
      build(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as SluiceConfigError).option).toBe(option);
    expect((error as SluiceConfigError).value).toBe(
      option === 'limits[0]' || option.startsWith('allowList') ? (error as SluiceConfigError).value : value,
    );
    expect((error as Error).message).toContain(`\`${option}\``);
  });
});

describe('RedisStore options', () => {
  const endpoint = redisOptions();
  const client = endpoint === undefined ? undefined : redisClient(endpoint, { lazyConnect: true });
  afterAll(() => {
    client?.disconnect();
  });
  const redisCases: [string, unknown[], (value: unknown) => object][] = [
    ['time', ['REDIS', 'server', 5, null, true], (v) => ({ time: v })],
    ['maxBatchSize', [...notNumbers, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY], (v) => ({ maxBatchSize: v })],
    ['maxBatchesInFlight', [...notNumbers, 0, -2, 2.5, Number.NaN], (v) => ({ maxBatchesInFlight: v })],
    ['denyCache', ['yes', 5, null, 'true'], (v) => ({ denyCache: v })],
    // null inside denyCache stands for the default, as undefined does.
    ['denyCache.maxKeys', [...withoutNull, 0, -1, 1.5], (v) => ({ denyCache: { maxKeys: v } })],
    ['denyCache.maxBytes', [...withoutNull, 0, 65_535, 70_000.5], (v) => ({ denyCache: { maxBytes: v } })],
  ];
  it.skipIf(client === undefined).each(redisCases)('%s', (option, bad, options) => {
    for (const value of bad) {
      let error: unknown;
      try {
        new RedisStore({ client, ...options(value) } as never);
      } catch (caught) {
        error = caught;
      }
      expect(error, `${option}: ${String(value)}`).toBeInstanceOf(SluiceConfigError);
      expect((error as SluiceConfigError).option).toBe(option);
    }
  });
});

describe('the smallest valid values are accepted', () => {
  it('capacity 1, maxKeys 1, maxBytes 65,536, a timeoutMs below 1 ms, an empty prefix, a sweepInterval of false', () => {
    expect(() => new MemoryStore({ maxKeys: 1, maxBytes: 65_536, sweepInterval: false })).not.toThrow();
    expect(() => new RateLimiter({ capacity: 1, refillRate: 0.001, interval: 1, timeoutMs: 0.5, prefix: '' })).not.toThrow();
    expect(() => new IpRangeSet(['0.0.0.0/0', '::/0', '10.0.0.1/32', '2001:db8::1/128'], 'allowList')).not.toThrow();
  });
});
