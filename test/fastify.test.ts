import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import sluice, { sluice as namedSluice } from '../adapters/fastify.js';
import { type Decision, RateLimiter, SluiceConfigError, type Store } from '../src/index.js';
import { rateLimitHeaders, storeVariants } from './http/adapterTestSupport.js';
import { FailingStore } from './setup/failingStore.js';
import { takeWarnings } from './setup/warningGuard.js';

type Factory = typeof fastify5;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function make(factory: Factory, options: { trustProxy?: string } = {}): FastifyInstance {
  const app = (factory as unknown as (options: object) => FastifyInstance)(options);
  apps.push(app);
  return app;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function hit(
  app: FastifyInstance,
  url = '/',
  options: { remoteAddress?: string; headers?: Record<string, string>; method?: 'GET' | 'POST' | 'HEAD'; payload?: object } = {},
): Promise<Reply> {
  const response = await app.inject({ url, method: options.method ?? 'GET', ...options });
  return { status: response.statusCode, headers: rateLimitHeaders(Object.entries(response.headers)), body: response.body };
}

async function statuses(app: FastifyInstance, url: string, count: number, options: Parameters<typeof hit>[2] = {}): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await hit(app, url, options)).status);
  return seen;
}

const stores = storeVariants('fastify');

it('exports the plugin as default and by name', () => {
  expect(namedSluice).toBe(sluice);
  expect(typeof sluice).toBe('function');
});

it('types config.rateLimit (checked by tsc)', async () => {
  const app = make(fastify5);
  app.get('/own', { config: { rateLimit: { capacity: 5, refillRate: 5, interval: '1s', headers: 'legacy' } } }, async () => 'ok');
  app.get('/exempt', { config: { rateLimit: false } }, async () => 'ok');
  // @ts-expect-error: capacity is a number
  app.get('/bad-capacity', { config: { rateLimit: { capacity: '5', refillRate: 5 } } }, async () => 'ok');
  // @ts-expect-error: not a header mode
  app.get('/bad-headers', { config: { rateLimit: { headers: 'draft-9' } } }, async () => 'ok');
  await app.ready();
  expect(app.hasRoute({ method: 'GET', url: '/own' })).toBe(true);
});

describe.each([
  ['Fastify 4', fastify4 as unknown as Factory],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)('refuses after the burst with exact draft-8 headers, Retry-After and the JSON body', async () => {
      const app = make(factory);
      await app.register(sluice, { capacity: 3, refillRate: 1, interval: '10s', ...storeOptions?.() });
      app.get('/', async () => 'ok');
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(await hit(app));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(replies[0]?.headers).toEqual({ 'ratelimit-policy': '"default";q=3;w=30', ratelimit: '"default";r=2;t=0' });
      expect(replies[2]?.headers.ratelimit).toBe('"default";r=0;t=10');
      const limited = replies[3] as Reply;
      const retryAfter = limited.headers['retry-after'] as string;
      expect(retryAfter).toMatch(/^(9|10)$/);
      expect(limited.headers).toEqual({
        'ratelimit-policy': '"default";q=3;w=30',
        ratelimit: `"default";r=0;t=${retryAfter}`,
        'retry-after': retryAfter,
      });
      expect(JSON.parse(limited.body)).toEqual({ error: 'Too Many Requests', retryAfter: Number(retryAfter) });
    });

    it.skipIf(storeOptions === undefined)(
      'gives a route its own limit (on the plugin store), exempts another, overrides HTTP options',
      async () => {
        const app = make(factory);
        await app.register(sluice, { capacity: 3, refillRate: 1, interval: '1m', ...storeOptions?.() });
        app.get('/', async () => 'ok');
        app.get('/search', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1m', name: 'search' } } }, async () => 'ok');
        app.get('/health', { config: { rateLimit: false } }, async () => 'ok');
        app.get('/heavy', { config: { rateLimit: { cost: 2 } } }, async () => 'ok');
        const search = await hit(app, '/search');
        expect(search.headers).toEqual({ 'ratelimit-policy': '"search";q=1;w=60', ratelimit: '"search";r=0;t=60' });
        expect((await hit(app, '/search')).status).toBe(429);
        // The route's own bucket took nothing from the plugin's.
        expect((await hit(app, '/')).headers.ratelimit).toBe('"default";r=2;t=0');
        expect(await statuses(app, '/health', 5)).toEqual([200, 200, 200, 200, 200]);
        expect((await hit(app, '/health')).headers).toEqual({});
        // HTTP options only: the plugin's limiter (and bucket), at cost 2.
        expect((await hit(app, '/heavy')).headers.ratelimit).toBe('"default";r=0;t=60');
        expect((await hit(app, '/')).status).toBe(429);
      },
    );
  });

  it('checks in preHandler when asked, so the key can come from the parsed body', async () => {
    const app = make(factory);
    await app.register(sluice, {
      capacity: 2,
      refillRate: 1,
      interval: '1m',
      hook: 'preHandler',
      key: (request) => String((request.body as { user?: string } | undefined)?.user ?? request.ip),
    });
    app.post('/login', async () => 'ok');
    const as = (user: string) => ({ method: 'POST' as const, payload: { user } });
    expect(await statuses(app, '/login', 3, as('ann'))).toEqual([200, 200, 429]);
    expect(await statuses(app, '/login', 2, as('bob'))).toEqual([200, 200]);
  });

  it('takes a ready limiter, a custom key and cost', async () => {
    const app = make(factory);
    const limiter = new RateLimiter({ capacity: 5, refillRate: 1, interval: '1m' });
    await app.register(sluice, {
      limiter,
      key: (request) => String(request.headers['x-api-key']),
      cost: (request) => (request.method === 'POST' ? 3 : 1),
    });
    app.get('/', async () => 'ok');
    app.post('/', async () => 'ok');
    const key = { headers: { 'x-api-key': 'k1' } };
    expect((await hit(app, '/', { ...key, method: 'POST' })).headers.ratelimit).toBe('"default";r=2;t=0');
    expect((await hit(app, '/', { ...key, method: 'POST' })).status).toBe(429);
    expect(await statuses(app, '/', 3, key)).toEqual([200, 200, 429]);
    expect((await hit(app, '/', { headers: { 'x-api-key': 'k2' } })).status).toBe(200);
    expect((await limiter.peek('k1')).remaining).toBe(0);
  });

  it('skips what `skip` and `allowList` exempt, without headers', async () => {
    const app = make(factory);
    await app.register(sluice, {
      capacity: 1,
      refillRate: 1,
      interval: '1m',
      allowList: ['10.0.0.0/8', '2001:db8::/32'],
      skip: (r) => r.url === '/skip',
    });
    app.get('/', async () => 'ok');
    app.get('/skip', async () => 'ok');
    expect(await statuses(app, '/', 3, { remoteAddress: '10.1.2.3' })).toEqual([200, 200, 200]);
    expect(await statuses(app, '/', 3, { remoteAddress: '::ffff:10.1.2.3' })).toEqual([200, 200, 200]);
    expect(await statuses(app, '/', 3, { remoteAddress: '2001:db8:5::1' })).toEqual([200, 200, 200]);
    expect((await hit(app, '/', { remoteAddress: '10.1.2.3' })).headers).toEqual({});
    expect(await statuses(app, '/skip', 3)).toEqual([200, 200, 200]);
    expect(await statuses(app, '/', 2, { remoteAddress: '11.1.2.3' })).toEqual([200, 429]);
  });

  it('groups IPv6 clients by /56 and unwraps IPv4-mapped addresses', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 2, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    const from = (remoteAddress: string) => hit(app, '/', { remoteAddress });
    expect((await from('2001:db8:1:100::1')).status).toBe(200);
    expect((await from('2001:db8:1:1ff:abcd::2')).status).toBe(200);
    expect((await from('2001:db8:1:1ab::3')).status).toBe(429);
    expect((await from('2001:db8:1:200::1')).status).toBe(200);
    expect((await from('203.0.113.5')).status).toBe(200);
    expect((await from('::ffff:203.0.113.5')).status).toBe(200);
    expect((await from('203.0.113.5')).status).toBe(429);
  });

  it('behind a proxy without trustProxy: one shared bucket, and a one-time warning', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 2, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    const seen = [];
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3'])
      seen.push((await hit(app, '/', { headers: { 'x-forwarded-for': ip } })).status);
    expect(seen).toEqual([200, 200, 429]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
  });

  it('still finds a proxy that appears after the first 1,024 requests (it then checks one request in 64)', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 1e6, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    for (let i = 0; i < 1100; i++) await hit(app, '/');
    expect(takeWarnings()).toEqual([]);
    for (let i = 0; i < 64; i++) await hit(app, '/', { headers: { 'x-forwarded-for': '198.51.100.1' } });
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
  });

  it('with trustProxy set to the proxy: one bucket per client', async () => {
    // The proxy's address: Fastify 5.12 ignores a hop count (it cannot check the peer).
    const app = make(factory, { trustProxy: '127.0.0.1' });
    await app.register(sluice, { capacity: 1, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    const from = (ip: string) => hit(app, '/', { headers: { 'x-forwarded-for': ip } });
    expect((await from('198.51.100.1')).status).toBe(200);
    expect((await from('198.51.100.2')).status).toBe(200);
    expect((await from('198.51.100.2')).status).toBe(429);
    expect((await from('10.9.9.9, 198.51.100.2')).status).toBe(429);
    expect(takeWarnings().map((w) => w.code)).toEqual([]);
  });

  it('warns when routes were registered before the plugin loaded (a register without await)', async () => {
    const app = make(factory);
    app.register(sluice, { capacity: 1, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    expect(await statuses(app, '/', 2)).toEqual([200, 200]); // not limited: the plugin loaded after the route
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_ROUTES_BEFORE_PLUGIN']);
  });

  it('does not warn when the plugin is awaited first', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 1, refillRate: 1, interval: '1m' });
    app.get('/', async () => 'ok');
    expect(await statuses(app, '/', 2)).toEqual([200, 429]);
    expect(takeWarnings().map((w) => w.code)).toEqual([]);
  });

  it('counts once when the same limiter is registered twice, and warns', async () => {
    const app = make(factory);
    const limiter = new RateLimiter({ capacity: 3, refillRate: 1, interval: '1m' });
    await app.register(sluice, { limiter });
    await app.register(sluice, { limiter });
    app.get('/', async () => 'ok');
    expect((await hit(app)).headers.ratelimit).toBe('"default";r=2;t=0');
    expect(await statuses(app, '/', 3)).toEqual([200, 200, 429]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_DOUBLE_COUNT']);
  });

  it('honours statusCode, message, onLimited, onDecision and both header formats', async () => {
    const app = make(factory);
    const seen: [string, boolean][] = [];
    await app.register(sluice, {
      capacity: 1,
      refillRate: 1,
      interval: '1m',
      headers: 'both',
      statusCode: 503,
      message: 'slow down',
      onDecision: (_request, decision: Decision, key) => seen.push([key, decision.allowed]),
    });
    app.get('/', async () => 'ok');
    app.get(
      '/custom',
      {
        config: {
          rateLimit: {
            capacity: 1,
            refillRate: 1,
            interval: '1m',
            onLimited: (_request, reply, decision) => {
              reply.code(418).send({ custom: decision.remaining });
            },
          },
        },
      },
      async () => 'ok',
    );
    expect((await hit(app)).headers).toEqual({
      'ratelimit-policy': '"default";q=1;w=60',
      ratelimit: '"default";r=0;t=60',
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '60',
    });
    const limited = await hit(app);
    expect(limited.status).toBe(503);
    expect(limited.body).toBe('slow down');
    expect(limited.headers['retry-after']).toBe('60');
    await hit(app, '/custom');
    const custom = await hit(app, '/custom');
    expect([custom.status, custom.body]).toEqual([418, '{"custom":0}']);
    expect(seen).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.1', false],
      ['127.0.0.1', true],
      ['127.0.0.1', false],
    ]);
  });

  it('rejects bad options at registration', async () => {
    const app = make(factory);
    await expect(app.register(sluice, { capacity: 1, refillRate: 1, hook: 'onSend' } as never)).rejects.toThrow(
      /`hook` must be 'onRequest' or 'preHandler'/,
    );
    const other = make(factory);
    await expect(other.register(sluice, { capacity: 1, refilRate: 1 } as never)).rejects.toThrow(SluiceConfigError);
  });

  it('rejects a bad route config when the route is added', async () => {
    const app = make(factory);
    await app.register(sluice, { capacity: 1, refillRate: 1 });
    expect(() => app.get('/', { config: { rateLimit: { capacity: -1, refillRate: 1 } } }, async () => 'ok')).toThrow(
      /`config\.rateLimit\.capacity` must be a positive/,
    );
    // Not caught by the types (an all-optional options type accepts a string), so checked at run time.
    expect(() => app.get('/s', { config: { rateLimit: 'fast' } }, async () => 'ok')).toThrow(
      /`config.rateLimit` must be an options object or false/,
    );
  });

  describe('store failures', () => {
    async function appWith(store: Store, onStoreError: 'allow' | 'deny' | 'throw') {
      const app = make(factory);
      await app.register(sluice, { capacity: 3, refillRate: 1, interval: '1m', store, onStoreError, timeoutMs: 50 });
      app.get('/', async () => 'ok');
      return app;
    }
    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): allow answers 200', async (mode) => {
      const reply = await hit(await appWith(new FailingStore(mode), 'allow'));
      expect(reply.status).toBe(200);
      expect(reply.headers.ratelimit).toBe('"default";r=2;t=0');
    });
    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): deny answers 429 with Retry-After', async (mode) => {
      const reply = await hit(await appWith(new FailingStore(mode), 'deny'));
      expect(reply.status).toBe(429);
      expect(reply.headers['retry-after']).toBe('60');
    });
    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): throw answers 500, the server lives on', async (mode) => {
      const app = await appWith(new FailingStore(mode), 'throw');
      const reply = await hit(app);
      expect(reply.status).toBe(500);
      expect(JSON.parse(reply.body).message).toMatch(/store/);
      expect((await hit(app)).status).toBe(500);
    });
  });
});
