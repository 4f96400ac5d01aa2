/**
 * Hostile values and bypasses found from outside, through real Express 4/5 and Fastify 4/5 apps on the
 * memory store: each case is one member of a kind (a value that must be reported, never thrown; a
 * documented option that must not let requests through uncounted; an option that must reach every route).
 */

import express5 from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import sluice, { type FastifyRateLimitHookHandler } from '../../adapters/fastify.js';
import { RateLimiter, SluiceConfigError } from '../../src/index.js';
import { captureWarnings, eventually, failOnUnhandledRejections, listenExpress, sleep } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

const warnings = captureWarnings();
failOnUnhandledRejections();

/** Exceptions thrown in a listener ('finish'/'close') or a promise callback would end the process. */
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
});

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const protoTrap = () =>
  new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new Error('proto trap');
      },
    },
  );

/** `finalCost` callbacks whose result (or what they throw) throws when read. */
const HOSTILE_FINAL_COSTS: [string, () => unknown][] = [
  ['returns a revoked proxy', () => revoked()],
  [
    'returns an object with a throwing getter',
    () => ({
      get requests() {
        throw new Error('getter');
      },
      tokens: 1,
    }),
  ],
  [
    'returns a proxy whose ownKeys throws',
    () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys');
          },
        },
      ),
  ],
  ['resolves to a revoked proxy', () => Promise.resolve(revoked())],
  [
    'returns a thenable whose then getter throws',
    () => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose
      get then() {
        throw new Error('then getter');
      },
    }),
  ],
  [
    'returns a thenable whose then throws',
    () => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose
      then() {
        throw new Error('then');
      },
    }),
  ],
  [
    'throws a revoked proxy',
    () => {
      throw revoked();
    },
  ],
  ['rejects with a revoked proxy', () => Promise.reject(revoked())],
  [
    'throws a proxy whose getPrototypeOf throws',
    () => {
      throw protoTrap();
    },
  ],
  ['rejects with a proxy whose getPrototypeOf throws', () => Promise.reject(protoTrap())],
];

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  describe('finalCost never throws out of its listener', () => {
    it.each(HOSTILE_FINAL_COSTS)('a callback that %s is reported (SLUICE_FINAL_COST_FAILED)', async (_name, finalCost) => {
      const app = await target.start({
        limits: [
          { name: 'requests', capacity: 5, refillRate: 1 },
          { name: 'tokens', capacity: 100, refillRate: 10 },
        ],
        cost: { requests: 1, tokens: 1 },
        key: () => 'client',
        finalCost,
      });
      expect((await app.get('/')).status).toBe(200);
      expect((await app.get('/')).status).toBe(200);
      await eventually(() => warnings().some((warning) => warning.code === 'SLUICE_FINAL_COST_FAILED'));
      await sleep(20);
      expect(uncaught.splice(0)).toEqual([]);
    });
  });
});

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it('the documented skipSuccessfulRequests form keeps a request whose client disconnected counted', async () => {
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const statuses: number[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      // The form README, docs/http.md and MIGRATING.md give.
      finalCost: (_req: unknown, res: { statusCode: number }, { finished }: { finished: boolean }) => {
        statuses.push(res.statusCode);
        return finished && res.statusCode < 400 ? 0 : 1;
      },
    });
    const abort = new AbortController();
    const hanging = app.get('/hang', { signal: abort.signal }).catch((error: Error) => error.name);
    await eventually(() => app.handled() === 1);
    abort.abort();
    expect(await hanging).toBe('AbortError');
    await eventually(() => statuses.length === 1);
    await sleep(50);
    // The status is still 200 when the client went away first: the status alone would have refunded it.
    expect(statuses).toEqual([200]);
    expect((await limiter.consume('client', 0)).remaining).toBe(2);
    expect((await app.get('/status/200')).status).toBe(200);
    await eventually(() => statuses.length === 2);
    await eventually(async () => (await limiter.consume('client', 0)).remaining === 2);
  });
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  it("app.rateLimit() in a child context with its own plugin registration uses the child's limits", async () => {
    const app = (factory as unknown as () => FastifyInstance)();
    await app.register(sluice, { global: false, capacity: 100, refillRate: 100, interval: '1m' });
    app.post('/login', { preHandler: app.rateLimit() as unknown as FastifyRateLimitHookHandler }, async (request) => ({
      limit: request.rateLimit?.limit,
    }));
    await app.register(async (child: FastifyInstance) => {
      await child.register(sluice, { global: false, capacity: 2, refillRate: 2, interval: '15m', prefix: 'admin:' });
      child.post('/admin/login', { preHandler: child.rateLimit() as unknown as FastifyRateLimitHookHandler }, async (request) => ({
        limit: request.rateLimit?.limit,
      }));
    });
    // A sibling without its own registration still gets the parent's.
    await app.register(async (sibling: FastifyInstance) => {
      sibling.post('/other', { preHandler: sibling.rateLimit() as unknown as FastifyRateLimitHookHandler }, async (request) => ({
        limit: request.rateLimit?.limit,
      }));
    });
    await app.ready();
    try {
      const post = (url: string) => app.inject({ method: 'POST', url });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('/admin/login')).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await post('/login')).json()).toEqual({ limit: 100 });
      expect((await post('/other')).json()).toEqual({ limit: 100 });
    } finally {
      await app.close();
    }
  });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

type Middleware = { limiter: RateLimiter; delay: { maxWaitMs: number; maxHeld: number }; blocked?: { statusCode?: number } };

/** Starts an app with `/a` and `/b`, each behind its own middleware (route config) on the same limiter. */
const TWO_ROUTE_APPS: [string, (options: Middleware) => Promise<string>][] = [
  ...(
    [
      ['Express 4', express4 as unknown as typeof express5],
      ['Express 5', express5],
    ] as const
  ).map(([name, factory]): [string, (options: Middleware) => Promise<string>] => [
    name,
    async (options) => {
      const app = factory();
      const key = (req: { get(name: string): string | undefined }) => req.get('x-key') ?? 'none';
      app.get('/a', rateLimit({ ...options, key }), (_req, res) => void res.send('a'));
      app.get('/b', rateLimit({ ...options, key }), (_req, res) => void res.send('b'));
      return listenExpress(app, closers);
    },
  ]),
  ...(
    [
      ['Fastify 4', fastify4 as unknown as typeof fastify5],
      ['Fastify 5', fastify5],
    ] as const
  ).map(([name, factory]): [string, (options: Middleware) => Promise<string>] => [
    name,
    async (options) => {
      const app = factory({ forceCloseConnections: true });
      closers.push(() => app.close());
      const key = (request: { headers: Record<string, unknown> }) => String(request.headers['x-key'] ?? 'none');
      await app.register(sluice, { global: false, limiter: options.limiter });
      app.get('/a', { config: { rateLimit: { ...options, key } } }, async () => 'a');
      app.get('/b', { config: { rateLimit: { ...options, key } } }, async () => 'b');
      return app.listen({ port: 0, host: '127.0.0.1' });
    },
  ]),
];

describe.each(TWO_ROUTE_APPS)('%s', (_name, start) => {
  it('delay: maxHeld bounds the limiter, over every middleware that uses it', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s' });
    const url = await start({ limiter, delay: { maxWaitMs: 10_000, maxHeld: 2 } });
    const get = (path: string, key: string) => fetch(`${url}${path}`, { headers: { 'x-key': key } }).then((response) => response.status);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    expect(await Promise.all(keys.map((key, i) => get(i % 2 ? '/a' : '/b', key)))).toEqual(Array(6).fill(200));
    const second = await Promise.all(keys.map((key, i) => get(i % 2 ? '/a' : '/b', key)));
    // Two held (then let through), the other four refused at once: not two per middleware.
    expect(second.filter((status) => status === 200)).toHaveLength(2);
    expect(second.filter((status) => status === 429)).toHaveLength(4);
  });

  it('delay: a blocked key gets the blocked answer at once, not a hold that waits out its block', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1m', blockDuration: '2s' });
    const url = await start({ limiter, delay: { maxWaitMs: 10_000, maxHeld: 10 }, blocked: {} });
    const get = () => fetch(`${url}/a`, { headers: { 'x-key': 'k' } });
    expect((await get()).status).toBe(200);
    const started = performance.now();
    const refused = await get();
    expect(refused.status).toBe(403);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

const BANDS = [
  { name: 'requests', capacity: 5, refillRate: 5 },
  { name: 'tokens', capacity: 100, refillRate: 100 },
];
/** Static costs no request could ever pay: each must fail at construction, naming `cost` and the value. */
const UNUSABLE_COSTS: [string, object, RegExp][] = [
  ['a fraction', { capacity: 5, refillRate: 5, cost: 0.5 }, /got 0\.5/],
  ['a per-band cost missing a band', { limits: BANDS, cost: { requests: 1 } }, /misses band tokens/],
  ['a per-band cost naming an unknown band', { limits: BANDS, cost: { requests: 1, tokens: 1, x: 1 } }, /unknown band "x"/],
  ['a part above its band capacity', { limits: BANDS, cost: { requests: 10, tokens: 1 } }, /cost\.requests.*capacity \(5\)/],
  [
    'a per-band cost naming bands a plan lacks',
    { plans: { free: { capacity: 1, refillRate: 1 } }, plan: () => 'free', cost: { requests: 1 } },
    /plan "free"/,
  ],
];

describe('a static cost that cannot be taken is refused at construction', () => {
  it.each(UNUSABLE_COSTS)('Express: %s', (_name, options, detail) => {
    const error = (() => {
      try {
        rateLimit(options as never);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as Error).message).toMatch(/option `cost`/);
    expect((error as Error).message).toMatch(detail);
  });

  it.each(UNUSABLE_COSTS)('Fastify: %s', async (_name, options, detail) => {
    const app = fastify5();
    const registered = app.register(sluice, options as never);
    await expect(registered.ready()).rejects.toThrow(SluiceConfigError);
    await app.close().catch(() => undefined);
    const again = fastify5();
    await expect(again.register(sluice, options as never).ready()).rejects.toThrow(detail);
    await again.close().catch(() => undefined);
  });

  it('a usable per-band cost is still accepted, and a function cost is checked per request', () => {
    expect(() => rateLimit({ limits: BANDS, cost: { requests: 1, tokens: 10 } })).not.toThrow();
    expect(() => rateLimit({ limits: BANDS, cost: () => 0.5 })).not.toThrow();
  });
});

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it('blockDuration next to plans reaches every plan given as options', async () => {
    const app = await target.start({
      plans: { free: { capacity: 1, refillRate: 1, interval: '1m' } },
      plan: () => 'free',
      key: () => 'client',
      blockDuration: '10m',
      blocked: { statusCode: 403 },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.get('/')).status);
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(403);
  });
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  it('a plugin-level blockDuration reaches a route with limits of its own (unless the route sets its own)', async () => {
    const app = (factory as unknown as () => FastifyInstance)();
    await app.register(sluice, { capacity: 100, refillRate: 100, interval: '1h', blockDuration: '10m', blocked: { statusCode: 403 } });
    app.get('/own', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1m' } } }, async () => 'own');
    app.get('/longer', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1m', blockDuration: '20m' } } }, async () => 'x');
    await app.ready();
    try {
      const replies = async (url: string) => {
        const seen: { status: number; retryAfter: number }[] = [];
        for (let i = 0; i < 3; i++) {
          const reply = await app.inject({ url });
          seen.push({ status: reply.statusCode, retryAfter: Number(reply.headers['retry-after'] ?? 0) });
        }
        return seen;
      };
      const own = await replies('/own');
      expect(own[0]?.status).toBe(200);
      expect(own[2]?.status).toBe(403);
      expect(own[2]?.retryAfter).toBeGreaterThan(9 * 60);
      expect(own[2]?.retryAfter).toBeLessThanOrEqual(10 * 60);
      const longer = await replies('/longer');
      expect(longer[2]?.status).toBe(403);
      expect(longer[2]?.retryAfter).toBeGreaterThan(19 * 60);
    } finally {
      await app.close();
    }
  });

  it('`global` is a plugin option only: a route that sets it is refused, and the route options listed lack it', async () => {
    const app = (factory as unknown as () => FastifyInstance)();
    await app.register(sluice, { capacity: 5, refillRate: 5 });
    let error: unknown;
    try {
      app.get('/r', { config: { rateLimit: { global: false } as never } }, async () => 'r');
      await app.ready();
    } catch (thrown) {
      error = thrown;
    }
    await app.close().catch(() => undefined);
    expect(error).toBeInstanceOf(SluiceConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/config\.rateLimit\.global/);
    expect(message).toMatch(/known options: /);
    expect(message.slice(message.indexOf('known options: ')).split(/[ ,]+/)).not.toContain('global');
  });
});
