import type { AddressInfo } from 'node:net';
import express5, { type ErrorRequestHandler, type Express, type Request } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import { type Decision, RateLimiter, type Store } from '../src/index.js';
import { rateLimitHeaders, storeVariants } from './http/adapterTestSupport.js';
import { FailingStore } from './setup/failingStore.js';
import { takeWarnings } from './setup/warningGuard.js';

type Factory = typeof express5;

interface Served {
  url: string;
  close(): Promise<void>;
}

const open: Served[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((served) => served.close()));
});

/** Listens on a free loopback port; errors passed to next(err) answer 500 with their name. */
function serve(app: Express): Promise<Served> {
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    res.status(500).json({ failed: (error as Error).name, message: (error as Error).message });
  };
  app.use(onError);
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      const served = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      };
      open.push(served);
      resolve(served);
    });
  });
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: rateLimitHeaders(response.headers), body: await response.text() };
}

async function statuses(url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await get(url, headers)).status);
  return seen;
}

const stores = storeVariants('express');

describe.each([
  ['Express 4', express4 as Factory],
  ['Express 5', express5],
])('%s', (_name, express) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)('refuses after the burst with exact draft-8 headers, Retry-After and the JSON body', async () => {
      const app = express();
      app.use(rateLimit({ capacity: 3, refillRate: 1, interval: '10s', ...storeOptions?.() }));
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      const { url } = await serve(app);
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(await get(url));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(replies[0]?.headers).toEqual({ 'ratelimit-policy': '"default";q=3;w=30', ratelimit: '"default";r=2;t=0' });
      expect(replies[1]?.headers.ratelimit).toBe('"default";r=1;t=0');
      expect(replies[2]?.headers.ratelimit).toBe('"default";r=0;t=10');
      const limited = replies[3] as Reply;
      expect(limited.headers['retry-after']).toMatch(/^(9|10)$/);
      expect(limited.headers).toEqual({
        'ratelimit-policy': '"default";q=3;w=30',
        ratelimit: `"default";r=0;t=${limited.headers['retry-after']}`,
        'retry-after': limited.headers['retry-after'],
      });
      expect(JSON.parse(limited.body)).toEqual({ error: 'Too Many Requests', retryAfter: Number(limited.headers['retry-after']) });
    });

    it.skipIf(storeOptions === undefined)('limits per route and keys on a custom key with a custom cost', async () => {
      const app = express();
      const options = storeOptions?.() ?? {};
      const login = new RateLimiter({ capacity: 4, refillRate: 1, interval: '1m', ...options, prefix: `${options.prefix ?? ''}login:` });
      app.post(
        '/login',
        express.json(),
        rateLimit({ limiter: login, key: (req: Request) => String(req.body.email), cost: (req) => Number(req.query.cost ?? 1) }),
        (_req, res) => {
          res.send('welcome');
        },
      );
      app.get('/free', (_req, res) => {
        res.send('ok');
      });
      const { url } = await serve(app);
      const post = (email: string, cost = 1) =>
        fetch(`${url}/login?cost=${cost}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email }),
        });
      expect((await post('a@example.com', 3)).status).toBe(200);
      const second = await post('a@example.com', 2);
      expect(second.status).toBe(429);
      expect(second.headers.get('ratelimit')).toMatch(/^"default";r=1;t=\d+$/);
      expect((await post('a@example.com', 1)).status).toBe(200);
      expect((await post('b@example.com', 4)).status).toBe(200); // another key, another bucket
      expect(await statuses(`${url}/free`, 6)).toEqual([200, 200, 200, 200, 200, 200]); // other routes are not limited
    });

    it.skipIf(storeOptions === undefined)('counts concurrent requests once when the same limiter is mounted twice', async () => {
      const app = express();
      const limit = rateLimit({ capacity: 4, refillRate: 1, interval: '1m', ...storeOptions?.() });
      app.use(limit);
      app.get('/', limit, (_req, res) => {
        res.send('ok');
      });
      const { url } = await serve(app);
      const replies = await Promise.all([1, 2, 3].map(() => get(url)));
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(replies.map((r) => r.headers.ratelimit).sort()).toEqual(['"default";r=1;t=0', '"default";r=2;t=0', '"default";r=3;t=0']);
      expect((await get(url)).headers.ratelimit).toBe('"default";r=0;t=60');
      expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_DOUBLE_COUNT']);
    });
  });

  it('skips what `skip` and `allowList` exempt, without headers', async () => {
    const app = express();
    app.get('/skip', rateLimit({ capacity: 1, refillRate: 1, interval: '1m', skip: (req) => req.query.free === '1' }), (_req, res) => {
      res.send('ok');
    });
    app.get('/listed', rateLimit({ capacity: 1, refillRate: 1, interval: '1m', allowList: ['10.0.0.0/8', '127.0.0.1'] }), (_req, res) => {
      res.send('ok');
    });
    app.get('/unlisted', rateLimit({ capacity: 1, refillRate: 1, interval: '1m', allowList: ['10.0.0.0/8'] }), (_req, res) => {
      res.send('ok');
    });
    app.get(
      '/by-function',
      rateLimit({ capacity: 1, refillRate: 1, interval: '1m', allowList: (req) => req.get('x-internal') === 'yes' }),
      (_req, res) => {
        res.send('ok');
      },
    );
    const { url } = await serve(app);
    expect(await statuses(`${url}/skip?free=1`, 3)).toEqual([200, 200, 200]);
    expect((await get(`${url}/skip?free=1`)).headers).toEqual({});
    expect(await statuses(`${url}/skip`, 2)).toEqual([200, 429]);
    expect(await statuses(`${url}/listed`, 3)).toEqual([200, 200, 200]);
    expect((await get(`${url}/listed`)).headers).toEqual({});
    expect(await statuses(`${url}/unlisted`, 2)).toEqual([200, 429]);
    expect(await statuses(`${url}/by-function`, 2, { 'x-internal': 'yes' })).toEqual([200, 200]);
    expect(await statuses(`${url}/by-function`, 2)).toEqual([200, 429]);
  });

  it('honours statusCode, message, onLimited, onDecision and legacy headers', async () => {
    const app = express();
    const decisions: [string, boolean][] = [];
    const base = { capacity: 1, refillRate: 1, interval: '1m' } as const;
    app.get('/status', rateLimit({ ...base, statusCode: 503, message: 'slow down', headers: 'legacy' }), (_req, res) => {
      res.send('ok');
    });
    app.get('/fn', rateLimit({ ...base, message: (req, d) => ({ path: req.path, wait: d.retryAfterMs > 0 }) }), (_req, res) => {
      res.send('ok');
    });
    app.get(
      '/custom',
      rateLimit({
        ...base,
        headers: false,
        onDecision: (_req, decision: Decision, key) => decisions.push([key, decision.allowed]),
        onLimited: (_req, res, decision) => {
          res.status(418).json({ custom: true, remaining: decision.remaining });
        },
      }),
      (_req, res) => {
        res.send('ok');
      },
    );
    const { url } = await serve(app);
    const first = await get(`${url}/status`);
    expect(first.headers).toEqual({ 'x-ratelimit-limit': '1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '60' });
    const limited = await get(`${url}/status`);
    expect(limited.status).toBe(503);
    expect(limited.body).toBe('slow down');
    expect(limited.headers).toEqual({
      'x-ratelimit-limit': '1',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '60',
      'retry-after': '60',
    });

    await get(`${url}/fn`);
    expect(JSON.parse((await get(`${url}/fn`)).body)).toEqual({ path: '/fn', wait: true });

    expect((await get(`${url}/custom`)).headers).toEqual({});
    const custom = await get(`${url}/custom`);
    expect(custom.status).toBe(418);
    expect(JSON.parse(custom.body)).toEqual({ custom: true, remaining: 0 });
    expect(custom.headers).toEqual({ 'retry-after': '60' });
    expect(decisions).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.1', false],
    ]);
  });

  it('sends one policy item per band', async () => {
    const app = express();
    app.use(
      rateLimit({
        limits: [
          { capacity: 2, refillRate: 2, interval: '1s', name: 'burst' },
          { capacity: 50, refillRate: 50, interval: '1h', name: 'hourly' },
        ],
      }),
    );
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    const first = await get(url);
    expect(first.headers).toEqual({
      'ratelimit-policy': '"burst";q=2;w=1, "hourly";q=50;w=3600',
      ratelimit: '"burst";r=1;t=0, "hourly";r=49;t=0',
    });
  });

  it('groups IPv6 clients by /56 and unwraps IPv4-mapped addresses (trust proxy on the loopback)', async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(rateLimit({ capacity: 2, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    expect((await get(url, from('2001:db8:1:100::1'))).status).toBe(200);
    expect((await get(url, from('2001:db8:1:1ff:abcd::2'))).status).toBe(200); // same /56
    expect((await get(url, from('2001:db8:1:1ab::3'))).status).toBe(429);
    expect((await get(url, from('2001:db8:1:200::1'))).status).toBe(200); // the next /56
    expect((await get(url, from('203.0.113.5'))).status).toBe(200);
    expect((await get(url, from('::ffff:203.0.113.5'))).status).toBe(200);
    expect((await get(url, from('203.0.113.5'))).status).toBe(429);
  });

  it('honours an app that overrides req.ip', async () => {
    const app = express();
    Object.defineProperty(app.request, 'ip', {
      configurable: true,
      get(this: Request) {
        return this.get('x-client-ip');
      },
    });
    app.use(rateLimit({ capacity: 1, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    expect((await get(url, { 'x-client-ip': '198.51.100.1' })).status).toBe(200);
    expect((await get(url, { 'x-client-ip': '198.51.100.2' })).status).toBe(200);
    expect((await get(url, { 'x-client-ip': '198.51.100.2' })).status).toBe(429);
  });

  it('keys on the full IPv6 address with ipv6Subnet: false', async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(rateLimit({ capacity: 1, refillRate: 1, interval: '1m', ipv6Subnet: false }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    expect((await get(url, { 'x-forwarded-for': '2001:db8::1' })).status).toBe(200);
    expect((await get(url, { 'x-forwarded-for': '2001:db8::2' })).status).toBe(200);
    expect((await get(url, { 'x-forwarded-for': '2001:db8::2' })).status).toBe(429);
  });

  it('behind a proxy without trust proxy: one shared bucket, and a one-time warning with the fix', async () => {
    const app = express();
    app.use(rateLimit({ capacity: 2, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    const seen = [];
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) seen.push((await get(url, { 'x-forwarded-for': ip })).status);
    expect(seen).toEqual([200, 200, 429]);
    const warnings = takeWarnings();
    expect(warnings.map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
    expect(warnings[0]?.message).toContain("app.set('trust proxy', 1)");
  });

  it('with trust proxy set to the proxy: one bucket per client, never a raw X-Forwarded-For', async () => {
    const app = express();
    app.set('trust proxy', 1);
    app.use(rateLimit({ capacity: 1, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    expect((await get(url, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);
    expect((await get(url, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(200);
    expect((await get(url, { 'x-forwarded-for': '198.51.100.2' })).status).toBe(429);
    // A client prepending a fake address does not escape: the proxy's hop (the last entry) is what counts.
    expect((await get(url, { 'x-forwarded-for': '10.9.9.9, 198.51.100.2' })).status).toBe(429);
    expect(takeWarnings()).toEqual([]);
  });

  it('warns once when trust proxy is true (spoofable)', async () => {
    const app = express();
    app.set('trust proxy', true);
    app.use(rateLimit({ capacity: 1, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    expect(await statuses(url, 3, { 'x-forwarded-for': '198.51.100.1' })).toEqual([200, 429, 429]);
    const warnings = takeWarnings();
    expect(warnings.map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_ALL']);
    expect(warnings[0]?.message).toContain('spoof');
  });

  it('counts a request once when the same limiter is mounted twice, and warns', async () => {
    const app = express();
    const limit = rateLimit({ capacity: 3, refillRate: 1, interval: '1m' });
    app.use(limit);
    app.get('/', limit, (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    const first = await get(url);
    expect(first.headers.ratelimit).toBe('"default";r=2;t=0');
    expect(await statuses(url, 3)).toEqual([200, 200, 429]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_DOUBLE_COUNT']);
  });

  it('stays quiet with warnings: false', async () => {
    const app = express();
    const limit = rateLimit({ capacity: 3, refillRate: 1, interval: '1m', warnings: false });
    app.use(limit);
    app.get('/', limit, (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    await get(url, { 'x-forwarded-for': '198.51.100.1' });
    expect(takeWarnings()).toEqual([]);
  });

  it('passes a request without an IP to next(err) instead of sharing a bucket', async () => {
    const app = express();
    app.use((req, _res, next) => {
      Object.defineProperty(req, 'ip', { value: undefined });
      next();
    });
    app.use(rateLimit({ capacity: 3, refillRate: 1, interval: '1m' }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    const { url } = await serve(app);
    const reply = await get(url);
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body)).toMatchObject({ failed: 'SluiceArgumentError', message: expect.stringContaining('req.ip') });
  });

  describe('store failures', () => {
    async function appWith(store: Store, onStoreError: 'allow' | 'deny' | 'throw') {
      const app = express();
      app.use(rateLimit({ capacity: 3, refillRate: 1, interval: '1m', store, onStoreError, timeoutMs: 50 }));
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      return (await serve(app)).url;
    }

    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): allow answers 200', async (mode) => {
      const reply = await get(await appWith(new FailingStore(mode), 'allow'));
      expect(reply.status).toBe(200);
      expect(reply.headers.ratelimit).toBe('"default";r=2;t=0');
    });

    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): deny answers 429 with Retry-After', async (mode) => {
      const reply = await get(await appWith(new FailingStore(mode), 'deny'));
      expect(reply.status).toBe(429);
      expect(reply.headers['retry-after']).toBe('60'); // one token at 1 per minute
    });

    it.each(['reject', 'hang', 'throw'] as const)('a store that fails (%s): throw goes to next(err), the server lives on', async (mode) => {
      const url = await appWith(new FailingStore(mode), 'throw');
      const started = Date.now();
      const reply = await get(url);
      expect(reply.status).toBe(500);
      expect(JSON.parse(reply.body).failed).toMatch(/^(SluiceStoreError|StoreTimeoutError)$/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await get(url)).status).toBe(500);
    });
  });
});
