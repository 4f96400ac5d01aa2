/**
 * Replies the decide script never makes, from a user's wrapper around a real client (a tracing or caching layer
 * with a bug) on the shared redis-server: the calls of that batch fail at once with a SluiceStoreError naming the
 * reply, nothing is decided from it, and the store goes on.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Decision, type DegradedEvent, RateLimiter, RedisStore, SluiceStoreError } from '../src/index.js';
import { DECISION_TIMEOUT_MS, redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

const available = redisOptions() !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Rewrite = (reply: (string | number)[]) => unknown;

/** `client` with its script replies passed through `rewrite` while one is set. */
function rewriting(client: Redis): { wrapped: Redis; set(rewrite: Rewrite | undefined): void } {
  let rewrite: Rewrite | undefined;
  const wrapped = new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== 'evalsha' && property !== 'eval') return bound;
      return (...args: unknown[]) => {
        const apply = rewrite;
        const reply = bound(...args) as Promise<(string | number)[]>;
        return apply === undefined ? reply : reply.then(apply);
      };
    },
  });
  return { wrapped, set: (next) => (rewrite = next) };
}

/** Each answer as a string, or 'unanswered' when none came within 2 s (the limiter's timeout is 5 s). */
const outcome = (call: Promise<unknown>) =>
  Promise.race([call.then((value) => `resolved ${JSON.stringify(value)}`, String), sleep(2000).then(() => 'unanswered')]);

describe.skipIf(!available)('RedisStore given a script reply of the wrong shape', () => {
  let client: Redis;
  let wrapper: ReturnType<typeof rewriting>;
  let store: RedisStore;
  let limiter: RateLimiter;

  beforeAll(async () => {
    client = redisClient();
    wrapper = rewriting(client);
    store = new RedisStore({ client: wrapper.wrapped, denyCache: false });
    limiter = new RateLimiter({
      capacity: 100,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('reply'),
      store,
      timeoutMs: DECISION_TIMEOUT_MS,
      onStoreError: 'throw',
    });
    await limiter.peek('warm-up'); // loads the script, so that each case below goes by EVALSHA
  });
  afterAll(() => {
    client.disconnect();
  });

  // Two calls of one band in one batch: the script answers 1 + 1 entries per call, then its `now`.
  const cases: [string, Rewrite, string][] = [
    ['null', () => null, 'null'],
    ['undefined', () => undefined, 'undefined'],
    ['a number', () => 1, '1'],
    ['a status string', () => 'OK', '"OK"'],
    ['an object', () => ({ allowed: 1 }), '{ allowed: 1 }'],
    ['an empty array', () => [], '[]'],
    ['the array without its last entry', (reply) => reply.slice(0, -1), 'Array(4)'],
    ['the array with one entry more', (reply) => [...reply, 0], 'Array(6)'],
    ['an entry that is a fraction', (reply) => reply.map((entry, i) => (i === 1 ? 0.5 : entry)), '0.5'],
    ['an entry that is not a number', (reply) => reply.map((entry, i) => (i === 0 ? 'yes' : entry)), '["yes",'],
    ['an entry that is a word ending in digits', (reply) => reply.map((entry, i) => (i === 0 ? 'n1' : entry)), '["n1",'],
    ['an entry of digits and then a word', (reply) => reply.map((entry, i) => (i === 0 ? '1n' : entry)), '["1n",'],
    ['an entry that is a decimal string', (reply) => reply.map((entry, i) => (i === 0 ? '1.0' : entry)), '["1.0",'],
    ['an entry that is an array of one integer', (reply) => reply.map((entry, i) => (i === 0 ? [1] : entry)), '[Array(1),'],
    ['an entry that is null', (reply) => reply.map((entry, i) => (i === 2 ? null : entry)), 'null'],
    ['an entry beyond a safe integer', (reply) => reply.map((entry, i) => (i === 1 ? 2 ** 53 : entry)), '9007199254740992'],
  ];

  it.each(cases)('%s: both calls of the batch fail at once with a SluiceStoreError naming it', async (_name, rewrite, shown) => {
    wrapper.set(rewrite);
    const key = uniquePrefix('k');
    const both = await Promise.all([
      outcome(store.update(limiter.policy, `${key}a`, 1, 0, Date.now())),
      outcome(store.update(limiter.policy, `${key}b`, 1, 0, Date.now())),
    ]);
    wrapper.set(undefined);
    for (const answer of both) {
      expect(answer).toMatch(/^SluiceStoreError: sluice: the Redis client answered the decide script with /);
      expect(answer).toContain('not an array of 5 integers');
      expect(answer.slice(answer.indexOf('script with ') + 12)).toContain(shown);
    }
    // The store is not stuck on that batch (vitest fails the run on any rejection left unhandled).
    expect((await limiter.consume(`${key}c`)).allowed).toBe(true);
  });

  it('reaches the limiter as a store failure: thrown under onStoreError "throw", a degraded answer otherwise', async () => {
    wrapper.set(() => null);
    await expect(limiter.consume('thrown')).rejects.toThrow(SluiceStoreError);
    const events: DegradedEvent[] = [];
    const allowing = new RateLimiter({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      prefix: uniquePrefix('reply-allow'),
      store,
      timeoutMs: DECISION_TIMEOUT_MS,
      onStoreError: 'allow',
      onDegraded: (event) => events.push(event),
    });
    const decisions: Decision[] = [await allowing.consume('k'), await allowing.consume('k')];
    wrapper.set(undefined);
    expect(decisions.map((d) => [d.allowed, d.degraded])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(events.map((event) => event.error instanceof SluiceStoreError)).toEqual([true, true]);
  });

  it('takes integer replies given as strings of digits, as some clients hand them over', async () => {
    wrapper.set((reply) => reply.map(String));
    const key = uniquePrefix('strings');
    const decisions = await Promise.all([limiter.consume(key), limiter.consume(key)]);
    wrapper.set(undefined);
    expect(decisions.map((d) => [d.allowed, d.remaining, d.degraded])).toEqual([
      [true, 99, false],
      [true, 98, false],
    ]);
  });
});
