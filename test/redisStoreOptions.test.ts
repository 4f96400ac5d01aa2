import { describe, expect, it } from 'vitest';
import { RedisStore, SluiceConfigError } from '../src/index.js';
import { redisClient, redisOptions } from './setup/redisTarget.js';

const single = redisOptions();

/** The SluiceConfigError `make` throws (fails the test when it throws anything else or nothing). */
function configError(make: () => unknown): SluiceConfigError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceConfigError);
    return error as SluiceConfigError;
  }
  throw new Error('expected a SluiceConfigError, and nothing was thrown');
}

describe.skipIf(single === undefined)('RedisStore options: each check at construction', () => {
  const client = () => redisClient();

  it.each([null, undefined, 'redis://localhost', 6379, () => ({})])('refuses options %s that are not an object', (options) => {
    const error = configError(() => new RedisStore(options as never));
    expect(error.option).toBe('RedisStore options');
    expect(error.message).toMatch(/must be an object such as \{ client: new Redis\(\) \}/);
  });

  it.each([undefined, null, 'redis://localhost:6379', 6379, {}, { eval: () => 0 }, [client]])('refuses client %s', (value) => {
    const error = configError(() => new RedisStore({ client: value as never }));
    expect(error.option).toBe('client');
    expect(error.message).toMatch(/`client` must be a connected Redis client/);
  });

  it.each([
    ['local', /"local"/],
    ['REDIS', /"REDIS"/],
    [1, /got 1/],
    [true, /got true/],
    [null, /got null/],
    [{}, /got/],
  ])('refuses time %s', (value, got) => {
    const error = configError(() => new RedisStore({ client: client(), time: value as never }));
    expect(error.option).toBe('time');
    expect(error.message).toMatch(/`time` must be 'redis' or 'client'/);
    expect(error.message).toMatch(got);
  });

  for (const option of ['maxBatchSize', 'maxBatchesInFlight'] as const) {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '16', null, true, {}])(`refuses ${option} %s`, (value) => {
      const error = configError(() => new RedisStore({ client: client(), [option]: value as never }));
      expect(error.option).toBe(option);
      expect(error.message).toMatch(new RegExp(`\`${option}\` must be a positive integer`));
    });
  }

  it.each(['yes', 1, 0, null, Symbol('cache')])('refuses denyCache %s', (value) => {
    const error = configError(() => new RedisStore({ client: client(), denyCache: value as never }));
    expect(error.option).toBe('denyCache');
    expect(error.message).toMatch(/must be true, false or \{ maxKeys, maxBytes \}/);
  });

  it.each([0, -5, 2.5, '100', null, Number.NaN])('refuses denyCache.maxKeys %s', (value) => {
    const error = configError(() => new RedisStore({ client: client(), denyCache: { maxKeys: value as never } }));
    expect(error.option).toBe('denyCache.maxKeys');
    expect(error.message).toMatch(/must be a positive integer/);
  });

  it.each([0, 65_535, 1e6 + 0.5, '4MiB', null, false])('refuses denyCache.maxBytes %s', (value) => {
    const error = configError(() => new RedisStore({ client: client(), denyCache: { maxBytes: value as never } }));
    expect(error.option).toBe('denyCache.maxBytes');
    expect(error.message).toMatch(/must be an integer number of bytes ≥ 65536/);
  });

  it('accepts every option at its bounds, and undefined as the default', () => {
    const store = new RedisStore({
      client: client(),
      time: undefined,
      denyCache: { maxKeys: 1, maxBytes: 65_536 },
      maxBatchSize: 1,
      maxBatchesInFlight: 1,
    });
    expect([store.time, store.maxBatchSize, store.maxBatchesInFlight]).toEqual(['redis', 1, 1]);
    const defaults = new RedisStore({ client: client(), denyCache: undefined, maxBatchSize: undefined });
    expect([defaults.time, defaults.maxBatchSize, defaults.maxBatchesInFlight]).toEqual(['redis', 16, 1]);
    expect(new RedisStore({ client: client(), denyCache: false }).time).toBe('redis');
  });

  it('gives the deny cache its default bounds (10,000 keys, 4 MiB) for denyCache true or absent, and none for false', () => {
    const cacheOf = (store: RedisStore) => (store as unknown as { denyCache: unknown }).denyCache;
    const defaults = { maxKeys: 10_000, maxBytes: 4 * 1024 * 1024 };
    expect(cacheOf(new RedisStore({ client: client(), denyCache: true }))).toMatchObject(defaults);
    expect(cacheOf(new RedisStore({ client: client() }))).toMatchObject(defaults);
    expect(cacheOf(new RedisStore({ client: client(), denyCache: undefined }))).toMatchObject(defaults);
    expect(cacheOf(new RedisStore({ client: client(), denyCache: {} }))).toMatchObject(defaults);
    expect(cacheOf(new RedisStore({ client: client(), denyCache: { maxKeys: 5 } }))).toMatchObject({ ...defaults, maxKeys: 5 });
    expect(cacheOf(new RedisStore({ client: client(), denyCache: false }))).toBeUndefined();
  });

  it('names every unknown option in one error: a typo gets the closest name, a peer library option the sluice one', () => {
    const error = configError(
      () => new RedisStore({ client: client(), maxBatchSise: 4, keyPrefix: 'rl:', tiem: 'client', zzz: 1 } as never),
    );
    expect(error.option).toBe('maxBatchSise, keyPrefix, tiem, zzz');
    expect(error.message).toMatch(/`maxBatchSise`: did you mean `maxBatchSize`\?/);
    expect(error.message).toMatch(/`keyPrefix`: another library's option: use `prefix`/);
    expect(error.message).toMatch(/`tiem`: did you mean `time`\?/);
    expect(error.message).toMatch(/`zzz`: not a known option/);
    expect(error.message).toMatch(/known options: client, time, denyCache, maxBatchSize, maxBatchesInFlight/);
  });

  it('names every unknown denyCache option in one error, under denyCache', () => {
    const error = configError(() => new RedisStore({ client: client(), denyCache: { maxKey: 5, bytes: 1e6, ttl: 5 } as never }));
    expect(error.option).toBe('denyCache.maxKey, denyCache.bytes, denyCache.ttl');
    expect(error.message).toMatch(/`maxKey`: did you mean `maxKeys`\?/);
    expect(error.message).toMatch(/known options: maxKeys, maxBytes/);
  });

  it('answers a peer library option name with the sluice option', () => {
    const error = configError(() => new RedisStore({ client: client(), storeClient: client() } as never));
    expect(error.option).toBe('storeClient');
    expect(error.message).toMatch(/another library's option: use `store: new RedisStore\(\{ client \}\)`/);
  });
});
