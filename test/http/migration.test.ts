/**
 * What a user porting an express-rate-limit or @fastify/rate-limit app brings: the peers' option names
 * (answered with the sluice option to use, all in one error), express-rate-limit's draft-6 and draft-7
 * headers, allow lists of keys, and `ms`-style durations. Through real Express 4/5 and Fastify 4/5 apps.
 */
import type { AddressInfo } from 'node:net';
import express5, { type ErrorRequestHandler, type Express } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import sluice from '../../adapters/fastify.js';
import { SluiceConfigError } from '../../src/index.js';
import { rateLimitHeaders, storeVariants } from './adapterTestSupport.js';

type Headers = Record<string, string>;
/** One app with the limiter at `/` (and at `/open` without one on Fastify routes), however the framework serves it. */
interface App {
  get(path: string, headers?: Headers): Promise<{ status: number; headers: Headers }>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function expressApp(factory: typeof express5, options: object): Promise<App> {
  const app: Express = factory();
  app.get('/', rateLimit(options as never), (_req, res) => {
    res.send('ok');
  });
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    res.status(500).json({ failed: (error as Error).name });
  };
  app.use(onError);
  const server = await new Promise<ReturnType<Express['listen']>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  closers.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path, headers = {}) {
      const response = await fetch(`${url}${path}`, { headers });
      await response.text();
      return { status: response.status, headers: rateLimitHeaders(response.headers) };
    },
  };
}

async function fastifyApp(factory: typeof fastify5, options: object): Promise<App> {
  const app = (factory as unknown as (options: object) => FastifyInstance)({});
  closers.push(() => app.close());
  await app.register(sluice, options as never);
  app.get('/', async () => 'ok');
  await app.ready();
  return {
    async get(path, headers = {}) {
      const response = await app.inject({ method: 'GET', url: path, headers });
      return { status: response.statusCode, headers: rateLimitHeaders(Object.entries(response.headers)) };
    },
  };
}

const frameworks: [string, (options: object) => Promise<App>][] = [
  ['Express 4', (options) => expressApp(express4 as unknown as typeof express5, options)],
  ['Express 5', (options) => expressApp(express5, options)],
  ['Fastify 4', (options) => fastifyApp(fastify4 as unknown as typeof fastify5, options)],
  ['Fastify 5', (options) => fastifyApp(fastify5, options)],
];

const limit = { capacity: 3, refillRate: 3, interval: '1 minute' };

describe.each(frameworks)('%s', (_name, make) => {
  describe('a peer option name is answered with the sluice option', () => {
    it.each([
      [{ windowMs: 60_000 }, /`windowMs` is not a known option \(another library's option: use `interval`/],
      [{ max: 5 }, /`max` is not a known option \(another library's option: use `capacity`/],
      [{ limit: 5 }, /`limit` is not a known option \(another library's option: use `capacity`/],
      [{ max: (_req: unknown) => 5 }, /`max` .*a function of the request: use `plans` \+ `plan`/],
      [{ limit: (_req: unknown) => 5 }, /`limit` .*a function of the request: use `plans` \+ `plan`/],
      [{ timeWindow: '1 minute' }, /`timeWindow` .*use `interval`/],
      [{ keyGenerator: () => 'k' }, /`keyGenerator` .*use `key: \(req\) => string`/],
      [{ points: 5 }, /`points` .*use `capacity`/],
      [{ duration: 60 }, /`duration` .*use `interval`/],
      [{ handler: () => {} }, /`handler` .*use `onLimited/],
      [{ standardHeaders: 'draft-7' }, /`standardHeaders` .*use `headers: 'draft-8' \| 'draft-7' \| 'draft-6'/],
    ])('%o', async (peer, message) => {
      const attempt = make({ ...limit, ...peer });
      await expect(attempt).rejects.toThrow(SluiceConfigError);
      await expect(make({ ...limit, ...peer })).rejects.toThrow(message);
    });

    it('`limit` does not get "did you mean `limits`?"', async () => {
      await expect(make({ ...limit, limit: 5 })).rejects.not.toThrow(/did you mean/);
    });

    it('reports every unknown option in one error: peers, typos and the unknown', async () => {
      const error = await make({ ...limit, windowMs: 1000, max: 5, capasity: 2, frobnicate: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SluiceConfigError);
      const { message } = error as Error;
      expect(message).toMatch(/`windowMs`: another library's option: use `interval`/);
      expect(message).toMatch(/`max`: another library's option: use `capacity`/);
      expect(message).toMatch(/`capasity`: did you mean `capacity`\?/);
      expect(message).toMatch(/`frobnicate`: not a known option/);
    });
  });

  it("reads the ms package's durations: '1 minute' is 60 s", async () => {
    const app = await make({ capacity: 2, refillRate: 2, interval: '1 minute', headers: 'draft-8' });
    expect((await app.get('/')).headers['ratelimit-policy']).toBe('"default";q=2;w=60');
    const slow = await make({ capacity: 2, refillRate: 1, interval: '2 hours', headers: 'draft-8' });
    expect((await slow.get('/')).headers['ratelimit-policy']).toBe('"default";q=2;w=14400');
  });

  describe.each(storeVariants('migration'))('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)("headers: 'draft-7' as express-rate-limit sends them", async () => {
      const app = await make({
        capacity: 2,
        refillRate: 2,
        interval: '1 minute',
        headers: 'draft-7',
        ...storeOptions?.(),
        timeoutMs: 5000,
      });
      const first = await app.get('/');
      expect(first.headers).toEqual({ 'ratelimit-policy': '2;w=60', ratelimit: 'limit=2, remaining=1, reset=30' });
      await app.get('/');
      const refused = await app.get('/');
      expect(refused.status).toBe(429);
      expect(refused.headers).toEqual({ 'ratelimit-policy': '2;w=60', ratelimit: 'limit=2, remaining=0, reset=60', 'retry-after': '30' });
    });

    it.skipIf(storeOptions === undefined)("headers: 'draft-6' as express-rate-limit sends them", async () => {
      const app = await make({
        capacity: 2,
        refillRate: 2,
        interval: '1 minute',
        headers: 'draft-6',
        ...storeOptions?.(),
        timeoutMs: 5000,
      });
      expect((await app.get('/')).headers).toEqual({
        'ratelimit-policy': '2;w=60',
        'ratelimit-limit': '2',
        'ratelimit-remaining': '1',
        'ratelimit-reset': '30',
      });
    });

    it.skipIf(storeOptions === undefined)(
      "headers: ['draft-7', 'legacy'] sends both, as express-rate-limit's defaults with draft-7",
      async () => {
        const app = await make({
          capacity: 2,
          refillRate: 2,
          interval: '1 minute',
          headers: ['draft-7', 'legacy'],
          ...storeOptions?.(),
          timeoutMs: 5000,
        });
        expect((await app.get('/')).headers).toEqual({
          'ratelimit-policy': '2;w=60',
          ratelimit: 'limit=2, remaining=1, reset=30',
          'x-ratelimit-limit': '2',
          'x-ratelimit-remaining': '1',
          'x-ratelimit-reset': '30',
        });
      },
    );

    it.skipIf(storeOptions === undefined)('allowList matches keys as well as IPs: a listed key is never limited', async () => {
      const app = await make({
        capacity: 1,
        refillRate: 1,
        interval: '1 hour',
        key: (req: { headers: Record<string, string | undefined> }) => req.headers['x-api-key'] ?? 'anonymous',
        allowList: ['internal-service', '203.0.113.0/24'],
        ...storeOptions?.(),
        timeoutMs: 5000,
      });
      const internal = { 'x-api-key': 'internal-service' };
      for (let i = 0; i < 3; i++) {
        const reply = await app.get('/', internal);
        expect(reply.status).toBe(200);
        expect(reply.headers).toEqual({});
      }
      expect((await app.get('/', { 'x-api-key': 'someone' })).status).toBe(200);
      expect((await app.get('/', { 'x-api-key': 'someone' })).status).toBe(429);
    });
  });

  it('allowList IP entries still match the client IP', async () => {
    const app = await make({ capacity: 1, refillRate: 1, interval: '1 hour', allowList: ['127.0.0.0/8', 'some-key'] });
    expect([(await app.get('/')).status, (await app.get('/')).status]).toEqual([200, 200]);
  });

  it.each([
    [{ allowList: ['10.0.0.300'] }, /`allowList\[0\]` must be an IP or a CIDR range/],
    [{ allowList: ['key', '10.0.0.0/33'] }, /`allowList\[1\]` has a prefix length/],
    [{ allowList: ['key', ''] }, /`allowList\[1\]` must be an IP, a CIDR range or a key/],
    [{ allowList: [Number.NaN] }, /`allowList\[0\]` must be an IP, a CIDR range or a key .*got NaN/],
    [{ headers: 'draft-9' }, /`headers` must be 'draft-8', 'draft-7', 'draft-6'/],
    [{ headers: ['draft-7', 'draft-8'] }, /`headers` may name one draft at most/],
    [{ headers: ['legacy', Number.POSITIVE_INFINITY] }, /`headers\[1\]` must be one of .*got Infinity/],
    [{ interval: '-1 minute' }, /`interval` must be a positive, finite duration; got "-1 minute"/],
    [{ interval: '1 month' }, /`interval` must be milliseconds .*got "1 month"/],
    [{ interval: Number.NaN }, /`interval` must be a positive, finite duration; got NaN/],
    [{ interval: '1e999 ms' }, /`interval`/],
    [{ interval: '99999999999999999999999 days' }, /`interval` makes an emission interval too long/],
  ])('refuses bad input %o with the option and the value', async (bad, message) => {
    await expect(make({ ...limit, ...bad })).rejects.toThrow(message);
  });
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])("%s route's config.rateLimit", (_name, factory) => {
  async function withRoute(rateLimitConfig: object) {
    const app = (factory as unknown as (options: object) => FastifyInstance)({});
    closers.push(() => app.close());
    await app.register(sluice, limit as never);
    app.get('/route', { config: { rateLimit: rateLimitConfig as never } }, async () => 'ok');
    await app.ready();
    return app;
  }

  it.each([
    [
      { max: 5, timeWindow: '1 minute' },
      /options `config\.rateLimit\.max`, `config\.rateLimit\.timeWindow` are not known options .*use `capacity`.*use `interval`/,
    ],
    [{ windowMs: 1000 }, /`config\.rateLimit\.windowMs` is not a known option \(another library's option: use `interval`/],
    [{ limit: 5 }, /`config\.rateLimit\.limit` .*use `capacity`/],
    [{ capasity: 5 }, /`config\.rateLimit\.capasity` is not a known option \(did you mean `capacity`\?\)/],
    [{ headers: 'draft-7', keyGenerator: () => 'k' }, /`config\.rateLimit\.keyGenerator` .*use `key/],
  ])('%o fails with the sluice option to use', async (config, message) => {
    await expect(withRoute(config)).rejects.toThrow(message);
  });

  it("a route may send express-rate-limit's draft-7 headers with the plugin's limiter", async () => {
    const app = await withRoute({ headers: 'draft-7' });
    const response = await app.inject({ method: 'GET', url: '/route' });
    expect(response.headers.ratelimit).toBe('limit=3, remaining=2, reset=20');
    expect(response.headers['ratelimit-policy']).toBe('3;w=60');
  });
});
