/**
 * The corners of a request's path through the HTTP core, through real Express 4/5 and Fastify 4/5 apps: the
 * allowList with a `key` function, a refusal answered by `onLimited` or an async `message` (the request must not
 * go on), a held request (`delay`) whose cost is settled or whose store fails, a request an earlier middleware
 * answered already, and a client IP that is missing or not an address.
 */
import express5, { type ErrorRequestHandler, type Request, type Response } from 'express';
import express4 from 'express4';
import fastify5 from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import sluice from '../../adapters/fastify.js';
import { WARNINGS } from '../../src/http/warnings.js';
import { MemoryStore, RateLimiter, SluiceArgumentError, SluiceStoreError } from '../../src/index.js';
import { captureWarnings, eventually, failOnUnhandledRejections, listenExpress, sleep, tick } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

const warnings = captureWarnings();
failOnUnhandledRejections();

type Replying = { status(code: number): { send(body: unknown): unknown } };
/** Answers 429 with `body` through an Express response or a Fastify reply (both have `status().send()`). */
const answer = (res: unknown, body: string) => (res as Replying).status(429).send(body);

/** A MemoryStore whose calls from the `failFrom`th on throw: a backend that goes down while a request is held. */
class FailingStore extends MemoryStore {
  calls = 0;
  constructor(private readonly failFrom: number) {
    super();
  }
  override update(...args: Parameters<MemoryStore['update']>): ReturnType<MemoryStore['update']> {
    if (++this.calls >= this.failFrom) throw new Error('store went down');
    return super.update(...args);
  }
}

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it('an allowList address is not counted when a key function picks the key either', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' });
    const app = await target.start({ limiter, key: () => 'client', allowList: ['127.0.0.0/8', '::1'] });
    for (let i = 0; i < 3; i++) {
      const reply = await app.get('/');
      expect(reply.status).toBe(200);
      expect(reply.headers).toEqual({});
      expect(JSON.parse(reply.body)).toEqual({ allowed: null, remaining: null, limit: null, same: true });
    }
    expect((await limiter.peek('client')).remaining).toBe(1);
  });

  it('a refusal onLimited answers (synchronously or not) does not go on to the handler', async () => {
    const sync = await target.start({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      onLimited: (_req: unknown, res: unknown) => answer(res, 'sync'),
    });
    const later = await target.start({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      onLimited: async (_req: unknown, res: unknown) => {
        await sleep(10);
        answer(res, 'later');
      },
    });
    for (const [app, body] of [
      [sync, 'sync'],
      [later, 'later'],
    ] as const) {
      expect((await app.get('/')).status).toBe(200);
      const refused = await app.get('/');
      expect([refused.status, refused.body]).toEqual([429, body]);
      await sleep(20);
      expect(app.handled()).toBe(1);
      expect(app.errors).toEqual([]);
    }
  });

  it('a refusal whose body an async message gives does not go on to the handler', async () => {
    const app = await target.start({ capacity: 1, refillRate: 1, interval: '1h', message: async () => ({ error: 'slow down' }) });
    expect((await app.get('/')).status).toBe(200);
    const refused = await app.get('/');
    expect([refused.status, JSON.parse(refused.body)]).toEqual([429, { error: 'slow down' }]);
    await sleep(20);
    expect(app.handled()).toBe(1);
    expect(app.errors).toEqual([]);
  });

  it('a held request (delay) has its cost settled by finalCost once its response is over', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300 });
    const settled: number[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      delay: { maxWaitMs: 2000 },
      finalCost: (_req: unknown, res: unknown) => {
        settled.push((res as { statusCode: number }).statusCode);
        return 1;
      },
    });
    expect((await app.get('/')).status).toBe(200);
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => settled.length === 2);
    expect(settled).toEqual([200, 200]);
    expect(app.handled()).toBe(2);
  });

  it('a store that fails while a request is held (onStoreError: throw) sends the error to the error handler', async () => {
    // Call 1 allows the first request, call 2 refuses the second, call 3 (its reservation) throws.
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300, store: new FailingStore(3), onStoreError: 'throw' });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 2000 } });
    expect((await app.get('/')).status).toBe(200);
    const failed = await app.get('/', { signal: AbortSignal.timeout(4000) });
    expect(failed.status).toBe(500);
    expect(app.handled()).toBe(1);
    expect(app.errors).toHaveLength(1);
    expect(app.errors[0]).toBeInstanceOf(SluiceStoreError);
    expect(JSON.parse(failed.body)).toEqual({ failed: 'SluiceStoreError', message: (app.errors[0] as Error).message });
  });
});

/** An Express app: `before` runs ahead of the limiter; `GET /` answers 'handled'; errors are collected. */
async function expressApp(factory: typeof express5, before: (req: Request, res: Response) => void, limiter: ReturnType<typeof rateLimit>) {
  const app = factory();
  const errors: Error[] = [];
  let handled = 0;
  app.use((req, res, next) => {
    before(req, res);
    next();
  });
  app.use(limiter);
  app.get('/', (_req, res) => {
    handled++;
    res.send('handled');
  });
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    errors.push(error);
    if (!res.headersSent) res.status(500).json({ failed: error.name, message: error.message });
  };
  app.use(onError);
  const url = await listenExpress(app, closers);
  return { url, errors, handled: () => handled };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const EXPRESS = [
  ['Express 4', express4 as unknown as typeof express5],
  ['Express 5', express5],
] as const;

const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;

describe.each(EXPRESS)('%s', (_name, factory) => {
  it('a request an earlier middleware answered (and let go on) runs no plan function and gets no error', async () => {
    let planCalls = 0;
    const app = await expressApp(
      factory,
      (_req, res) => {
        res.status(503).send('busy');
      },
      rateLimit({
        plans: { free: limit },
        plan: () => {
          planCalls++;
          throw new Error('plan ran');
        },
      }),
    );
    const reply = await fetch(app.url);
    expect([reply.status, await reply.text()]).toEqual([503, 'busy']);
    await tick();
    expect(planCalls).toBe(0);
    expect(app.errors).toEqual([]);
    expect(app.handled()).toBe(0);
  });

  it('a refusal whose async message settles after another middleware answered is not sent again', async () => {
    let messages = 0;
    const app = await expressApp(
      factory,
      (_req, res) => {
        setTimeout(() => {
          if (!res.headersSent) res.status(503).send('timed out');
        }, 50);
      },
      rateLimit({
        ...limit,
        message: async () => {
          await sleep(200);
          messages++;
          return 'too late';
        },
      }),
    );
    expect((await fetch(app.url)).status).toBe(200);
    const reply = await fetch(app.url);
    expect([reply.status, await reply.text()]).toEqual([503, 'timed out']);
    await eventually(() => messages === 1);
    await tick();
    expect(app.errors).toEqual([]);
    expect(app.handled()).toBe(1);
  });

  it.each([
    ['undefined', undefined, 'undefined'],
    ['empty', '', '""'],
  ])('a request whose client IP is %s goes to the error handler, without a warning', async (_kind, ip, shown) => {
    const app = await expressApp(
      factory,
      (req) => {
        Object.defineProperty(req, 'ip', { value: ip });
      },
      rateLimit(limit),
    );
    const reply = await fetch(app.url);
    expect(reply.status).toBe(500);
    const message = `sluice: argument \`req.ip\` must be the client IP address, but the request has none (its socket may have closed already); pass a \`key\` function to key on something else; got ${shown}`;
    expect(await reply.json()).toEqual({ failed: 'SluiceArgumentError', message });
    expect(app.errors).toHaveLength(1);
    expect(app.errors[0]).toBeInstanceOf(SluiceArgumentError);
    expect(app.handled()).toBe(0);
    await tick();
    expect(warnings()).toEqual([]);
  });

  it('a request whose client IP is not an address goes to the error handler, with one warning naming the value', async () => {
    const app = await expressApp(
      factory,
      (req) => {
        Object.defineProperty(req, 'ip', { value: 'unknown' });
      },
      rateLimit(limit),
    );
    const reply = await fetch(app.url);
    expect(reply.status).toBe(500);
    const message =
      'sluice: argument `req.ip` must be the client\'s IP address, and a request whose IP is something else is not given a bucket of its own; set trust proxy to exactly your proxies, or pass a `key` function; got "unknown"';
    expect(await reply.json()).toEqual({ failed: 'SluiceArgumentError', message });
    await tick();
    expect(warnings()).toEqual([
      {
        name: 'SluiceWarning',
        code: 'SLUICE_CLIENT_IP_NOT_AN_ADDRESS',
        message: `${WARNINGS.SLUICE_CLIENT_IP_NOT_AN_ADDRESS} The value was "unknown".`,
      },
    ]);
  });
});

describe('Fastify 5', () => {
  it('a request whose client IP is empty goes to the error handler, without a warning', async () => {
    const app = fastify5({ forceCloseConnections: true });
    closers.push(() => app.close());
    const errors: Error[] = [];
    app.setErrorHandler((error, _request, reply) => {
      errors.push(error as Error);
      reply.code(500).send({ failed: (error as Error).name, message: (error as Error).message });
    });
    app.addHook('onRequest', async (request) => {
      Object.defineProperty(request, 'ip', { value: '' });
    });
    await app.register(sluice, limit);
    app.get('/', async () => 'handled');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    // With X-Forwarded-For the core reads `request.ip`, not the socket's address.
    const reply = await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(reply.status).toBe(500);
    expect(await reply.json()).toEqual({
      failed: 'SluiceArgumentError',
      message:
        'sluice: argument `req.ip` must be the client IP address, but the request has none (its socket may have closed already); pass a `key` function to key on something else; got ""',
    });
    expect(errors).toHaveLength(1);
    await tick();
    expect(warnings()).toEqual([]);
  });
});
