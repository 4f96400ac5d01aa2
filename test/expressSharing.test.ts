/**
 * Express: limiters that share a store count a request once per namespace (the same limiter mounted twice, or
 * two built with the same options), every limiter of other limits counts it, and a client-chosen key cannot
 * reach another limiter's bucket. Through real Express 4 and 5 apps, on MemoryStore and on Redis.
 */
import { type AddressInfo, connect } from 'node:net';
import express5, { type Express, type Request } from 'express';
import express4 from 'express4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import { type Decision, MemoryStore, type Store } from '../src/index.js';
import { captureWarnings, rateLimitHeaders, storeVariants, tick } from './http/adapterTestSupport.js';
import { barrier } from './http/barrier.js';

type Factory = typeof express5;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The app's base URL on a free loopback port, closed after the test. */
function listen(app: Express): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    closers.push(
      () =>
        new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
    );
  });
}

async function request(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const response = await fetch(url, init);
  await response.text();
  return { status: response.status, headers: rateLimitHeaders(response.headers) };
}

/** Sends `count` GET requests pipelined on one connection; resolves with each response's RateLimit header. */
function pipelined(url: string, count: number): Promise<string[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count)));
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const headers = [...text.matchAll(/^ratelimit: (.*)\r$/gim)].map((match) => match[1] as string);
      if (headers.length === count && text.endsWith('ok')) {
        socket.destroy();
        resolve(headers);
      }
    });
    socket.on('error', reject);
  });
}

const postJson = (url: string) =>
  request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":"a@example.com"}' });

const warnings = captureWarnings();
const stores = storeVariants('express-sharing', { cluster: true });

describe.each([
  ['Express 4', express4 as Factory],
  ['Express 5', express5],
])('%s', (_name, express) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    /** Store options for limiters that must share one store (on memory too: each would otherwise make its own). */
    const shared = (): { store: Store; prefix?: string } => ({ store: new MemoryStore(), ...storeOptions?.() });

    it.skipIf(storeOptions === undefined)(
      'the same limiter on app.use and on a route behind express.json() counts overlapping requests once',
      async () => {
        const app = express();
        const limit = rateLimit({ capacity: 6, refillRate: 6, interval: '1h', ...storeOptions?.() });
        const gate = barrier(3);
        app.use(limit);
        app.post(
          '/login',
          (_req, _res, next) => void gate().then(() => next()),
          express.json(),
          limit,
          (_req, res) => {
            res.send('ok');
          },
        );
        const url = await listen(app);
        const replies = await Promise.all([1, 2, 3].map(() => postJson(`${url}/login`)));
        expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);
        expect((await postJson(`${url}/login`)).headers.ratelimit).toBe('"default";r=2;t=0');
        await tick();
        expect(warnings().map((w) => w.code)).toEqual(['SLUICE_DOUBLE_COUNT']);
      },
    );

    it.skipIf(storeOptions === undefined)('the same limiter mounted twice counts requests pipelined on one connection once', async () => {
      const app = express();
      const limit = rateLimit({ capacity: 4, refillRate: 4, interval: '1h', ...storeOptions?.() });
      const gate = barrier(2);
      app.use(limit);
      app.get(
        '/',
        (_req, _res, next) => void gate().then(() => next()),
        limit,
        (_req, res) => {
          res.send('ok');
        },
      );
      const url = await listen(app);
      expect((await pipelined(url, 2)).sort()).toEqual(['"default";r=2;t=0', '"default";r=3;t=0']);
      expect((await request(url)).headers.ratelimit).toBe('"default";r=1;t=0');
      expect(warnings().map((w) => w.code)).toContain('SLUICE_DOUBLE_COUNT');
    });

    it.skipIf(storeOptions === undefined)(
      'two limiters built with the same options on one store count a request once, sequential or overlapping',
      async () => {
        const app = express();
        const options = { capacity: 6, refillRate: 6, interval: '1h' as const, ...shared() };
        const gate = barrier(2);
        app.use(rateLimit(options));
        app.get(
          '/',
          (_req, _res, next) => void gate().then(() => next()),
          rateLimit(options),
          (_req, res) => {
            res.send('ok');
          },
        );
        const url = await listen(app);
        const overlapping = await Promise.all([1, 2].map(() => request(url)));
        expect(overlapping.map((reply) => reply.headers.ratelimit).sort()).toEqual(['"default";r=4;t=0', '"default";r=5;t=0']);
        expect((await request(url)).headers.ratelimit).toBe('"default";r=3;t=0');
        expect((await request(url)).headers.ratelimit).toBe('"default";r=2;t=0');
        expect(warnings().map((w) => w.code)).toContain('SLUICE_DOUBLE_COUNT');
      },
    );

    it.skipIf(storeOptions === undefined)('one limiter mounted twice under two keys counts the request in each key’s bucket', async () => {
      const app = express();
      const options = { capacity: 3, refillRate: 3, interval: '1h' as const, ...shared() };
      const seen: string[] = [];
      const onDecision = (_req: Request, decision: Decision, key: string) => seen.push(`${key}=${decision.remaining}`);
      app.use(rateLimit({ ...options, key: () => 'client', onDecision }));
      app.post('/login', express.json(), rateLimit({ ...options, key: (req) => String(req.body.email), onDecision }), (_req, res) => {
        res.send('ok');
      });
      const url = await listen(app);
      await postJson(`${url}/login`);
      await postJson(`${url}/login`);
      expect(seen).toEqual(['client=2', 'a@example.com=2', 'client=1', 'a@example.com=1']);
    });

    it.skipIf(storeOptions === undefined)(
      'two limiters with other limits on one store and prefix, on one path: both count every request',
      async () => {
        const app = express();
        const store = shared();
        const seen: Record<string, number[]> = { strict: [], loose: [] };
        const record = (name: string) => (_req: Request, decision: Decision) => seen[name]?.push(decision.remaining);
        app.use(rateLimit({ capacity: 2, refillRate: 2, interval: '1h', ...store, onDecision: record('strict') }));
        app.use(rateLimit({ capacity: 10, refillRate: 10, interval: '1h', ...store, onDecision: record('loose') }));
        app.get('/', (_req, res) => {
          res.send('ok');
        });
        const url = await listen(app);
        expect([(await request(url)).status, (await request(url)).status, (await request(url)).status]).toEqual([200, 200, 429]);
        expect(seen).toEqual({ strict: [1, 0, 0], loose: [9, 8] });
      },
    );

    it.skipIf(storeOptions === undefined)(
      "a client-chosen key (README's `x-api-key ?? ip`) cannot reach another limiter's bucket",
      async () => {
        const app = express();
        const { store, prefix = 'sl:' } = shared();
        const limit = { capacity: 3, refillRate: 3, interval: '15m' as const, store };
        app.use(rateLimit({ ...limit, prefix, key: (req) => req.get('x-api-key') ?? (req.ip as string) }));
        app.post('/login', rateLimit({ ...limit, prefix: `${prefix}login:` }), (_req, res) => {
          res.send('ok');
        });
        app.get('/', (_req, res) => {
          res.send('ok');
        });
        const url = await listen(app);
        for (const forged of ['login:127.0.0.1', 'login:::ffff:127.0.0.1']) {
          for (let i = 0; i < 4; i++) await request(url, { headers: { 'x-api-key': forged } });
        }
        expect((await request(`${url}/login`, { method: 'POST' })).headers.ratelimit).toBe('"default";r=2;t=0');
      },
    );
  });
});
