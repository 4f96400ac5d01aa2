/**
 * Fastify routes that opt in: `global: false` with `config.rateLimit`, the `fastify.rateLimit()` hook for any
 * route and for the not-found handler (404 probing is limited), per-route `key`, `cost` and `groupId`, and
 * the plugin's plans on routes. Through real Fastify 4 and 5 apps on the memory store, Redis and the Cluster.
 */
import fastify5, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import sluice, { type FastifyRateLimitHookHandler, rateLimitOf } from '../adapters/fastify.js';
import { SluiceConfigError } from '../src/index.js';
import { storeVariants } from './http/adapterTestSupport.js';

type Factory = typeof fastify5;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function make(factory: Factory): FastifyInstance {
  const app = (factory as unknown as () => FastifyInstance)();
  apps.push(app);
  return app;
}

async function statuses(app: FastifyInstance, url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await app.inject({ url, headers })).statusCode);
  return seen;
}

const ok = async () => 'ok';
const stores = storeVariants('fastifyOptIn', { cluster: true });

describe.each([
  ['Fastify 4', fastify4 as unknown as Factory],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)('global: false limits only routes with config.rateLimit', async () => {
      const app = make(factory);
      await app.register(sluice, { global: false, capacity: 2, refillRate: 2, interval: '1m', ...storeOptions?.() });
      app.get('/open', ok);
      app.get('/limited', { config: { rateLimit: {} } }, ok);
      app.get('/own', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1m' } } }, ok);
      expect(await statuses(app, '/open', 4)).toEqual([200, 200, 200, 200]);
      expect((await app.inject('/open')).headers.ratelimit).toBeUndefined();
      expect(await statuses(app, '/limited', 3)).toEqual([200, 200, 429]);
      expect(await statuses(app, '/own', 2)).toEqual([200, 429]);
    });

    it.skipIf(storeOptions === undefined)('fastify.rateLimit() limits the not-found handler: probing unknown URLs gets 429', async () => {
      const app = make(factory);
      await app.register(sluice, { global: false, capacity: 3, refillRate: 3, interval: '1m', ...storeOptions?.() });
      // The cast only because this program also has @fastify/rate-limit's types, whose `rateLimit` overload wins here.
      const preHandler = app.rateLimit() as unknown as FastifyRateLimitHookHandler;
      app.setNotFoundHandler({ preHandler }, async (_request, reply) => reply.code(404).send({ missing: true }));
      const probes = [];
      for (let i = 0; i < 4; i++) probes.push((await app.inject(`/probe-${i}`)).statusCode);
      expect(probes).toEqual([404, 404, 404, 429]);
    });

    it.skipIf(storeOptions === undefined)('fastify.rateLimit(options) on a route: its own limits, key and cost', async () => {
      const app = make(factory);
      await app.register(sluice, { capacity: 10, refillRate: 10, interval: '1m', ...storeOptions?.() });
      app.get(
        '/hooked',
        {
          config: { rateLimit: false },
          onRequest: app.rateLimit({
            capacity: 4,
            refillRate: 4,
            interval: '1m',
            cost: 2,
            key: (request: FastifyRequest) => String(request.headers['x-user']),
          }),
        },
        async (request) => ({ remaining: rateLimitOf(request)?.remaining, limit: request.rateLimit?.limit }),
      );
      const alice = await app.inject({ url: '/hooked', headers: { 'x-user': 'alice' } });
      expect(alice.json()).toEqual({ remaining: 2, limit: 4 });
      expect(await statuses(app, '/hooked', 2, { 'x-user': 'alice' })).toEqual([200, 429]);
      // Another key has a bucket of its own.
      expect(await statuses(app, '/hooked', 2, { 'x-user': 'bob' })).toEqual([200, 200]);
    });

    it.skipIf(storeOptions === undefined)('per-route key, cost and groupId under global: false', async () => {
      const app = make(factory);
      await app.register(sluice, { global: false, capacity: 4, refillRate: 4, interval: '1m', ...storeOptions?.() });
      const byUser = (request: FastifyRequest) => String(request.headers['x-user']);
      app.get('/costly', { config: { rateLimit: { key: byUser, cost: 2 } } }, ok);
      app.get('/step1', { config: { rateLimit: { groupId: 'flow', key: byUser } } }, ok);
      app.get('/step2', { config: { rateLimit: { groupId: 'flow', key: byUser } } }, ok);
      expect(await statuses(app, '/costly', 3, { 'x-user': 'a' })).toEqual([200, 200, 429]);
      expect(await statuses(app, '/costly', 1, { 'x-user': 'b' })).toEqual([200]);
      // The group's two routes share one bucket of 4 per user.
      expect(await statuses(app, '/step1', 2, { 'x-user': 'a' })).toEqual([200, 200]);
      expect(await statuses(app, '/step2', 3, { 'x-user': 'a' })).toEqual([200, 200, 429]);
      expect(await statuses(app, '/step1', 1, { 'x-user': 'a' })).toEqual([429]);
    });

    it.skipIf(storeOptions === undefined)(
      'routes share the plugin’s plans (and their buckets) unless they have limits of their own',
      async () => {
        const app = make(factory);
        const { store, prefix, timeoutMs } = storeOptions?.() ?? {};
        await app.register(sluice, {
          plans: { free: { capacity: 1, refillRate: 1, interval: '1m' }, paid: { capacity: 3, refillRate: 3, interval: '1m' } },
          plan: (request: FastifyRequest) => (request.headers['x-plan'] === 'paid' ? 'paid' : 'free'),
          store,
          prefix,
          timeoutMs,
        });
        app.get('/a', ok);
        app.get('/b', { config: { rateLimit: { headers: 'legacy' } } }, ok);
        app.get('/own', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1m' } } }, ok);
        expect(await statuses(app, '/a', 1)).toEqual([200]);
        expect(await statuses(app, '/b', 1)).toEqual([429]);
        expect(await statuses(app, '/a', 3, { 'x-plan': 'paid' })).toEqual([200, 200, 200]);
        expect(await statuses(app, '/b', 1, { 'x-plan': 'paid' })).toEqual([429]);
        expect(await statuses(app, '/own', 3)).toEqual([200, 200, 429]);
      },
    );
  });

  it('rejects a non-boolean global, and non-object options to fastify.rateLimit()', async () => {
    const app = make(factory);
    await expect(app.register(sluice, { global: 'no' as never, capacity: 1, refillRate: 1 })).rejects.toThrow(/`global`.*"no"/);
    const other = make(factory);
    await other.register(sluice, { capacity: 1, refillRate: 1 });
    expect(() => other.rateLimit(5 as never)).toThrow(SluiceConfigError);
    expect(() => other.rateLimit({ capacity: -1, refillRate: 1 } as never)).toThrow(/capacity/);
  });
});
