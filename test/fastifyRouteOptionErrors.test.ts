/**
 * Fastify: which option a route's configuration error names, through real Fastify 4 and 5 apps. A ready plugin
 * limiter whose `sharedOptions` is not an object, an option the route inherits while it gives `plan` of its own, and
 * the plan a group's difference is found in, when the routes have one plan or a plan named with the empty string.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { configError } from './http/configError.js';
import { FASTIFY, registered } from './http/fastifyApps.js';

const ok = async () => 'ok';
const two = { capacity: 2, refillRate: 2, interval: '1h' } as const;
const four = { capacity: 4, refillRate: 4, interval: '1h' } as const;

describe.each(Object.entries(FASTIFY))('%s', (_name, factory) => {
  const app = (options: object) => registered(factory, options);

  it('a ready limiter whose `sharedOptions` is null, a number, a string or a boolean is refused naming `limiter`', async () => {
    for (const shared of [null, 0, 'store', true]) {
      const limiter = new RateLimiter(two);
      Object.defineProperty(limiter, 'sharedOptions', { value: shared });
      const server = await app({ limiter });
      const error = configError(() => server.get('/own', { config: { rateLimit: four } }, ok));
      expect([shared, error.option, error.message]).toEqual([
        shared,
        'limiter',
        expect.stringMatching(/^sluice: option `limiter` must have `sharedOptions` \(a RateLimiter of this sluice version\): /),
      ]);
    }
  });

  it("an inherited option a route cannot take keeps the plugin's name when the route gives `plan` and `plans`", async () => {
    const server = await app({ ...four, cost: 3 });
    const plan = (request: FastifyRequest) => String(request.headers['x-plan']);
    const error = configError(() => server.get('/small', { config: { rateLimit: { plans: { free: two }, plan } } }, ok));
    expect(error.option).toBe('cost');
    // Given by the route, the same option is the route's.
    const own = configError(() => server.get('/own', { config: { rateLimit: { plans: { free: two }, plan, cost: 3 } } }, ok));
    expect(own.option).toBe('config.rateLimit.cost');
  });

  it('a group difference names its plan when the routes have one plan, or a plan named ""', async () => {
    const server = await app(four);
    const plan = () => 'solo';
    server.get('/a', { config: { rateLimit: { groupId: 'one', plans: { solo: two }, plan } } }, ok);
    const store = configError(() =>
      server.get('/b', { config: { rateLimit: { groupId: 'one', plans: { solo: { ...two, store: new MemoryStore() } }, plan } } }, ok),
    );
    expect(store.message).toContain('with another store for plan "solo":');
    server.get('/c', { config: { rateLimit: { groupId: 'empty', plans: { '': two, pro: four }, plan: () => '' } } }, ok);
    const limits = configError(() =>
      server.get('/d', { config: { rateLimit: { groupId: 'empty', plans: { '': four, pro: four }, plan: () => '' } } }, ok),
    );
    expect(limits.message).toContain('with other limits for plan "":');
    // A route without plans has no plan to name.
    server.get('/e', { config: { rateLimit: { groupId: 'plain', ...two } } }, ok);
    const plain = configError(() => server.get('/f', { config: { rateLimit: { groupId: 'plain', ...four } } }, ok));
    expect(plain.message).toContain('with other limits:');
  });
});
