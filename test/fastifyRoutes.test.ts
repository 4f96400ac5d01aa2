/**
 * Fastify: a route's own limit belongs to the route (methods, URL pattern, constraints, within its context), a
 * `groupId` shares one on purpose, and limiters that share a store and namespace count a request once. Through
 * real Fastify 4 and 5 apps, on MemoryStore and on Redis (two RedisStore instances stand for two processes).
 */
import fastify5, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import sluice from '../adapters/fastify.js';
import { MemoryStore, RateLimiter, RedisStore, SluiceConfigError, type Store } from '../src/index.js';
import { captureWarnings, rateLimitHeaders, storeVariants, tick } from './http/adapterTestSupport.js';
import { barrier } from './http/barrier.js';
import { redisClient, redisOptions, uniquePrefix } from './setup/redisTarget.js';

type Factory = typeof fastify5;
type Method = 'GET' | 'POST' | 'HEAD' | 'PUT';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function make(factory: Factory): FastifyInstance {
  const app = (factory as unknown as (options: object) => FastifyInstance)({});
  apps.push(app);
  return app;
}

async function send(app: FastifyInstance, method: Method, url: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ method, url, headers });
  return { status: response.statusCode, headers: rateLimitHeaders(Object.entries(response.headers)) };
}

async function statuses(app: FastifyInstance, method: Method, url: string, count: number, headers: Record<string, string> = {}) {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await send(app, method, url, headers)).status);
  return seen;
}

const ok = async () => 'ok';
const warnings = captureWarnings();
const stores = storeVariants('fastify-routes', { cluster: true });

describe.each([
  ['Fastify 4', fastify4 as unknown as Factory],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    const plugin = (app: FastifyInstance, options: object = {}) =>
      app.register(sluice, { capacity: 100, refillRate: 100, interval: '1h', ...storeOptions?.(), ...options });

    it.skipIf(storeOptions === undefined)(
      'GET /item (capacity 5) and POST /item (capacity 2): the app starts, separate buckets',
      async () => {
        const app = make(factory);
        await plugin(app);
        app.get('/item', { config: { rateLimit: { capacity: 5, refillRate: 5, interval: '1h' } } }, ok);
        app.post('/item', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        await app.ready();
        expect(await statuses(app, 'POST', '/item', 3)).toEqual([200, 200, 429]);
        expect(await statuses(app, 'GET', '/item', 6)).toEqual([200, 200, 200, 200, 200, 429]);
        expect((await send(app, 'POST', '/item')).status).toBe(429);
      },
    );

    it.skipIf(storeOptions === undefined)('equal limits on GET and POST of one path: separate buckets', async () => {
      const app = make(factory);
      await plugin(app);
      const config = { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' as const } } };
      app.get('/item', config, ok);
      app.post('/item', config, ok); // even one config object shared by both
      app.put('/item', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
      expect(await statuses(app, 'GET', '/item', 3)).toEqual([200, 200, 429]);
      expect(await statuses(app, 'POST', '/item', 3)).toEqual([200, 200, 429]);
      expect(await statuses(app, 'PUT', '/item', 3)).toEqual([200, 200, 429]);
    });

    it.skipIf(storeOptions === undefined)(
      "the HEAD route Fastify adds for a GET shares the GET's bucket; a declared HEAD has its own",
      async () => {
        const app = make(factory);
        await plugin(app);
        app.get('/auto', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        app.head('/declared', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        app.get('/declared', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        expect((await send(app, 'HEAD', '/auto')).headers.ratelimit).toBe('"default";r=1;t=0');
        expect(await statuses(app, 'GET', '/auto', 2)).toEqual([200, 429]);
        expect(await statuses(app, 'HEAD', '/declared', 3)).toEqual([200, 200, 429]);
        expect(await statuses(app, 'GET', '/declared', 3)).toEqual([200, 200, 429]);
      },
    );

    it.skipIf(storeOptions === undefined)('routes whose URLs differ only by a separator keep apart, whatever the key', async () => {
      const app = make(factory);
      await plugin(app, { key: (request: FastifyRequest) => String(request.headers['x-api-key']) });
      const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;
      app.get('/a', { config: { rateLimit: limit } }, ok);
      app.get('/a::b', { config: { rateLimit: limit } }, ok); // the literal path /a:b
      app.get('/a/b', { config: { rateLimit: limit } }, ok);
      // Joined without a boundary, /a with key ":b:K" and /a:b with key "K" were one name.
      expect(await statuses(app, 'GET', '/a', 2, { 'x-api-key': ':b:K' })).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/a', 2, { 'x-api-key': 'GET:/a::b:K' })).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/a:b', 2, { 'x-api-key': 'K' })).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/a/b', 2, { 'x-api-key': 'K' })).toEqual([200, 429]);
    });

    it.skipIf(storeOptions === undefined)("a client-chosen key cannot reach a route's bucket (README's `x-api-key ?? ip`)", async () => {
      const app = make(factory);
      const limit = { capacity: 3, refillRate: 3, interval: '15m' } as const;
      await plugin(app, { ...limit, key: (request: FastifyRequest) => (request.headers['x-api-key'] as string | undefined) ?? request.ip });
      app.get('/', ok);
      app.post('/login', { config: { rateLimit: { ...limit } } }, ok);
      app.post('/login5', { config: { rateLimit: { capacity: 5, refillRate: 5, interval: '15m' } } }, ok);
      for (const forged of [
        'route:/login:127.0.0.1',
        'route:POST:/login:127.0.0.1',
        'route:/login5:127.0.0.1',
        'route:POST:/login5:127.0.0.1',
      ]) {
        await statuses(app, 'GET', '/', 4, { 'x-api-key': forged });
      }
      expect((await send(app, 'POST', '/login')).headers.ratelimit).toBe('"default";r=2;t=0');
      expect((await send(app, 'POST', '/login5')).headers.ratelimit).toBe('"default";r=4;t=0');
    });

    it.skipIf(storeOptions === undefined)('routes with one version constraint each, on one method and URL: separate buckets', async () => {
      const app = make(factory);
      await plugin(app);
      const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;
      app.get('/item', { constraints: { version: '1.0.0' }, config: { rateLimit: limit } }, async () => 'v1');
      app.get('/item', { constraints: { version: '2.0.0' }, config: { rateLimit: limit } }, async () => 'v2');
      expect(await statuses(app, 'GET', '/item', 2, { 'accept-version': '1.x' })).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/item', 2, { 'accept-version': '2.x' })).toEqual([200, 429]);
    });

    it.skipIf(storeOptions === undefined)('routes told apart by a RegExp host constraint: separate buckets', async () => {
      const app = make(factory);
      await plugin(app);
      const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;
      app.get('/item', { constraints: { host: /^a\./ }, config: { rateLimit: limit } }, async () => 'a');
      app.get('/item', { constraints: { host: /^b\./ }, config: { rateLimit: limit } }, async () => 'b');
      expect(await statuses(app, 'GET', '/item', 2, { host: 'a.example.com' })).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/item', 2, { host: 'b.example.com' })).toEqual([200, 429]);
    });

    it.skipIf(storeOptions === undefined)(
      'a route with several methods has one bucket for them, apart from the same URL’s other routes',
      async () => {
        const app = make(factory);
        await plugin(app);
        const limit = { capacity: 2, refillRate: 2, interval: '1h' } as const;
        app.route({ method: ['POST', 'PUT'], url: '/item', config: { rateLimit: limit }, handler: ok });
        app.route({ method: 'GET', url: '/item', config: { rateLimit: limit }, handler: ok });
        expect([(await send(app, 'POST', '/item')).status, (await send(app, 'PUT', '/item')).status]).toEqual([200, 200]);
        expect([(await send(app, 'PUT', '/item')).status, (await send(app, 'POST', '/item')).status]).toEqual([429, 429]);
        expect(await statuses(app, 'GET', '/item', 3)).toEqual([200, 200, 429]);
      },
    );

    it.skipIf(storeOptions === undefined)('one route in two prefixed contexts: one bucket per context', async () => {
      const app = make(factory);
      await plugin(app);
      const routes = async (child: FastifyInstance) => {
        child.get('/item', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1h' } } }, ok);
      };
      await app.register(routes, { prefix: '/v1' });
      await app.register(routes, { prefix: '/v2' });
      expect(await statuses(app, 'GET', '/v1/item', 2)).toEqual([200, 429]);
      expect(await statuses(app, 'GET', '/v2/item', 2)).toEqual([200, 429]);
    });

    it.skipIf(storeOptions === undefined)('a groupId shares one bucket between its routes, with their limits or the plugin’s', async () => {
      const app = make(factory);
      await plugin(app, { capacity: 4, refillRate: 4 });
      const otp = { capacity: 3, refillRate: 3, interval: '1h', groupId: 'otp' } as const;
      app.post('/otp/send', { config: { rateLimit: otp } }, ok);
      app.post('/otp/verify', { config: { rateLimit: { ...otp, cost: 2 } } }, ok);
      app.post('/other', { config: { rateLimit: { capacity: 3, refillRate: 3, interval: '1h' } } }, ok);
      app.get('/a', { config: { rateLimit: { groupId: 'plugin-limits' } } }, ok);
      app.get('/b', { config: { rateLimit: { groupId: 'plugin-limits' } } }, ok);
      app.get('/', ok);
      expect((await send(app, 'POST', '/otp/send')).headers.ratelimit).toBe('"default";r=2;t=0');
      expect((await send(app, 'POST', '/otp/verify')).headers.ratelimit).toBe('"default";r=0;t=1200');
      expect((await send(app, 'POST', '/otp/send')).status).toBe(429);
      expect(await statuses(app, 'POST', '/other', 3)).toEqual([200, 200, 200]);
      // No limits of their own: the plugin's (4 per hour), in a bucket of the group's, not the plugin's.
      expect(await statuses(app, 'GET', '/a', 2)).toEqual([200, 200]);
      expect(await statuses(app, 'GET', '/b', 3)).toEqual([200, 200, 429]);
      expect((await send(app, 'GET', '/')).headers.ratelimit).toBe('"default";r=3;t=0');
    });

    it.skipIf(storeOptions === undefined)(
      "the plugin registered again in a child context with the same options and store: the child's alone counts its routes, once, even overlapping",
      async () => {
        const app = make(factory);
        // One store for both registrations (on memory too: each would otherwise make its own).
        const options = { capacity: 6, refillRate: 6, interval: '1h' as const, store: new MemoryStore(), ...storeOptions?.() };
        await app.register(sluice, options);
        const gate = barrier(3);
        await app.register(async (child) => {
          child.addHook('onRequest', gate);
          await child.register(sluice, options);
          child.get('/', ok);
        });
        const replies = await Promise.all([1, 2, 3].map(() => send(app, 'GET', '/')));
        expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
        expect((await send(app, 'GET', '/')).headers.ratelimit).toBe('"default";r=2;t=0');
        await tick();
        // One limiter runs: there is no second count to skip, and none to warn of.
        expect(warnings().map((w) => w.code)).not.toContain('SLUICE_DOUBLE_COUNT');
      },
    );
  });

  it('refuses a group whose routes have other limits, and a groupId with a ready limiter', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 5, refillRate: 5 });
    app.post('/otp/send', { config: { rateLimit: { capacity: 3, refillRate: 3, groupId: 'otp' } } }, ok);
    expect(() => app.post('/otp/verify', { config: { rateLimit: { capacity: 4, refillRate: 3, groupId: 'otp' } } }, ok)).toThrow(
      /`config.rateLimit.groupId` is used by POST \/otp\/send and by POST \/otp\/verify with other limits:/,
    );
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1 });
    expect(() => app.get('/x', { config: { rateLimit: { limiter, groupId: 'x' } as never } }, ok)).toThrow(SluiceConfigError);
    expect(() => app.get('/y', { config: { rateLimit: { groupId: '' } } }, ok)).toThrow(
      /`config.rateLimit.groupId` must be a non-empty string/,
    );
  });

  it("a context that registers the plugin again limits its routes (and its children's) with its own registration only", async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 3, refillRate: 3, interval: '1m' });
    app.get('/top', { config: { rateLimit: { groupId: 'g', capacity: 2, refillRate: 2, interval: '1m' } } }, ok);
    await app.register(
      async (child) => {
        await child.register(sluice, { capacity: 5, refillRate: 5, interval: '1m', store: new MemoryStore() });
        child.get('/plain', ok);
        // The parent's groups are the parent's: the same name here is another group.
        child.get('/grouped', { config: { rateLimit: { groupId: 'g', capacity: 4, refillRate: 4, interval: '1m' } } }, ok);
        await child.register(async (grandchild) => {
          grandchild.get('/deeper', ok);
        });
      },
      { prefix: '/v3' },
    );
    await app.register(async (sibling) => sibling.get('/sibling', ok), { prefix: '/s' });
    expect(await statuses(app, 'GET', '/v3/plain', 6)).toEqual([200, 200, 200, 200, 200, 429]);
    // The child's limiter and buckets (the client's five are spent), not the parent's as well.
    expect(await statuses(app, 'GET', '/v3/deeper', 1)).toEqual([429]);
    expect(await statuses(app, 'GET', '/v3/grouped', 5)).toEqual([200, 200, 200, 200, 429]);
    expect(await statuses(app, 'GET', '/top', 3)).toEqual([200, 200, 429]);
    expect(await statuses(app, 'GET', '/s/sibling', 4)).toEqual([200, 200, 200, 429]);
  });

  it('types groupId (checked by tsc)', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 5, refillRate: 5 });
    app.get('/typed', { config: { rateLimit: { groupId: 'g', capacity: 2, refillRate: 2 } } }, ok);
    // @ts-expect-error: a group name is a string
    expect(() => app.get('/bad', { config: { rateLimit: { groupId: 1 } } }, ok)).toThrow(SluiceConfigError);
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1 });
    // @ts-expect-error: a ready limiter shares its buckets already
    expect(() => app.get('/both', { config: { rateLimit: { groupId: 'g', limiter } } }, ok)).toThrow(SluiceConfigError);
    expect(app.hasRoute({ method: 'GET', url: '/typed' })).toBe(true);
  });

  describe.skipIf(redisOptions() === undefined)('two processes (two RedisStore instances on one server)', () => {
    it('share a route’s bucket; another method of that path keeps its own', async () => {
      const prefix = uniquePrefix('fastify-processes');
      const serverApp = async (store: Store) => {
        const app = make(factory);
        await app.register(sluice, { capacity: 100, refillRate: 100, store, prefix, timeoutMs: 5000 });
        app.get('/item', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        app.post('/item', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
        return app;
      };
      const [one, two] = [
        await serverApp(new RedisStore({ client: redisClient() })),
        await serverApp(new RedisStore({ client: redisClient() })),
      ];
      expect((await send(one, 'GET', '/item')).status).toBe(200);
      expect((await send(two, 'GET', '/item')).status).toBe(200);
      expect((await send(one, 'GET', '/item')).status).toBe(429);
      expect(await statuses(two, 'POST', '/item', 3)).toEqual([200, 200, 429]);
    });
  });

  it('route limiters on the memory store: equal limits on the same route in two apps on one store share', async () => {
    const store = new MemoryStore({ sweepInterval: false });
    const serverApp = async () => {
      const app = make(factory);
      await app.register(sluice, { capacity: 100, refillRate: 100, store });
      app.get('/item', { config: { rateLimit: { capacity: 2, refillRate: 2, interval: '1h' } } }, ok);
      return app;
    };
    const [one, two] = [await serverApp(), await serverApp()];
    expect(await statuses(one, 'GET', '/item', 1)).toEqual([200]);
    expect(await statuses(two, 'GET', '/item', 2)).toEqual([200, 429]);
  });
});
