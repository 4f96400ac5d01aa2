/**
 * The adapters' own checks and corners, through real Express 4/5 and Fastify 4/5 apps: what `req.rateLimit`
 * becomes when the app assigns it, the Fastify plugin's `global` option, `fastify.rateLimit(options)` and a route's
 * `config.rateLimit` given something other than an options object, `fastify.rateLimit` called detached, Express'
 * Router used outside an app, and requests without a socket (as serverless adapters emulate them).
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express5, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import sluice, { type FastifyRateLimitHookHandler } from '../adapters/fastify.js';
import { SluiceArgumentError, SluiceConfigError } from '../src/index.js';
import { listenExpress } from './http/adapterTestSupport.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/**
 * Sends an emulated request without a socket (as serverless adapters build them) to `dispatch`; resolves with the
 * response once it ends. `ip`: the client IP such an adapter may give the request as its own `req.ip`.
 */
async function socketless(
  dispatch: (req: IncomingMessage, res: ServerResponse) => void,
  headers: Record<string, string>,
  ip?: string,
): Promise<ServerResponse> {
  const req = new IncomingMessage(null as unknown as Socket);
  Object.assign(req, { method: 'GET', url: '/', headers, httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1 });
  if (ip !== undefined) Object.defineProperty(req, 'ip', { value: ip, enumerable: true });
  const res = new ServerResponse(req);
  await new Promise<void>((resolve) => {
    res.end = (() => {
      resolve();
      return res;
    }) as typeof res.end;
    dispatch(req, res);
  });
  return res;
}

const EXPRESS: [string, () => Express, () => Router][] = [
  ['Express 4', () => (express4 as unknown as () => Express)(), () => (express4 as unknown as typeof express5).Router()],
  ['Express 5', () => express5(), () => express5.Router()],
];
const FASTIFY: [string, () => FastifyInstance][] = [
  ['Fastify 4', () => (fastify4 as unknown as () => FastifyInstance)()],
  ['Fastify 5', () => fastify5()],
];

describe.each(EXPRESS)('%s', (_name, make, makeRouter) => {
  it('req.rateLimit assigned by the app becomes its own writable, enumerable, configurable property', async () => {
    const app = make();
    app.get('/', rateLimit({ capacity: 5, refillRate: 5, interval: '1m' }), (req, res) => {
      const counted = req.rateLimit?.remaining;
      (req as { rateLimit?: unknown }).rateLimit = 'mine';
      res.json({ counted, after: req.rateLimit, own: Object.getOwnPropertyDescriptor(req, 'rateLimit') });
    });
    const url = await listenExpress(app, closers);
    const body = await (await fetch(`${url}/`)).json();
    expect(body).toEqual({ counted: 4, after: 'mine', own: { value: 'mine', writable: true, enumerable: true, configurable: true } });
  });

  /**
   * Express' Router used on its own, outside an app (on a plain `http` server, or in a serverless adapter that builds
   * requests without a socket): `req.app` is undefined, and no app prototype gives `req.ip`.
   */
  function routerOutsideApp(): { router: Router; failures: unknown[] } {
    const router = makeRouter();
    const failures: unknown[] = [];
    router.use(rateLimit({ capacity: 5, refillRate: 5, interval: '1m' }));
    router.get('/', (_req, res) => {
      res.end('ok');
    });
    router.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      failures.push(error);
      res.statusCode = 500;
      res.end();
    });
    return { router, failures };
  }

  it('a Router outside an app keys on the socket address, and behind a proxy says that req.ip is missing', async () => {
    const { router, failures } = routerOutsideApp();
    const server = createServer((req, res) => {
      router(req as Request, res as Response, () => {
        res.statusCode = 404;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const direct = await fetch(url);
    expect([direct.status, direct.headers.get('ratelimit')]).toEqual([200, '"default";r=4;t=0']);
    // With X-Forwarded-For the client IP is req.ip's, which only an app gives; the proxy check reads `trust proxy`
    // from an app that is not there, and must not throw.
    const forwarded = await fetch(url, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(forwarded.status).toBe(500);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(SluiceArgumentError);
    expect((failures[0] as Error).message).toMatch(/^sluice: argument `req\.ip` must be the client IP address, but the request has none/);
  });

  /** Sends an emulated request without a socket through `router`, as a serverless adapter does; resolves with the response. */
  it('a request without a socket (an emulated server) is an error naming req.ip, not a TypeError', async () => {
    const { router, failures } = routerOutsideApp();
    await socketless((req, res) => router(req as Request, res as Response, () => res.end()), {});
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(SluiceArgumentError);
    expect((failures[0] as Error).message).toMatch(/^sluice: argument `req\.ip` must be the client IP address, but the request has none/);
  });

  it('a request without a socket that carries its own req.ip is limited on it, also with X-Forwarded-For', async () => {
    const { router, failures } = routerOutsideApp();
    const dispatch = (req: IncomingMessage, res: ServerResponse) => router(req as Request, res as Response, () => res.end());
    const plain = await socketless(dispatch, {}, '198.51.100.7');
    const forwarded = await socketless(dispatch, { 'x-forwarded-for': '203.0.113.9' }, '198.51.100.7');
    expect(failures).toEqual([]);
    expect([plain.statusCode, plain.getHeader('ratelimit'), forwarded.statusCode, forwarded.getHeader('ratelimit')]).toEqual([
      200,
      '"default";r=4;t=0',
      200,
      '"default";r=3;t=0',
    ]);
  });
});

describe.each(FASTIFY)('%s', (_name, make) => {
  function app(): FastifyInstance {
    const instance = make();
    closers.push(() => instance.close());
    return instance;
  }

  it.each([['yes'], [1], [null]])('global: %o is refused naming the option and the value', async (value) => {
    const instance = app();
    const registering = instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m', global: value as unknown as boolean });
    const error = await registering.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as Error).message).toBe(
      `sluice: option \`global\` must be true or false (false: only routes with \`config.rateLimit\`); got ${JSON.stringify(value)}`,
    );
  });

  it.each([[null], [5], ['free']])('fastify.rateLimit(%o) is refused naming the argument and the value', async (value) => {
    const instance = app();
    await instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m' });
    expect(() => instance.rateLimit(value as never)).toThrow(SluiceConfigError);
    expect(() => instance.rateLimit(value as never)).toThrow(
      `sluice: option \`rateLimit(options)\` must be an options object or nothing; got ${JSON.stringify(value)}`,
    );
  });

  it.each([[null], [5], ['free'], [true]])('a route config.rateLimit of %o is refused naming it and the value', async (value) => {
    const instance = app();
    await instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m' });
    expect(() => instance.get('/', { config: { rateLimit: value as never } }, async () => 'ok')).toThrow(
      `sluice: option \`config.rateLimit\` must be an options object or false; got ${JSON.stringify(value)}`,
    );
  });

  it('fastify.rateLimit called without an instance (detached, or on null) gives the plugin’s hook', async () => {
    const instance = app();
    await instance.register(sluice, { capacity: 1, refillRate: 1, interval: '1m', global: false });
    const detached = instance.rateLimit as (options?: object) => FastifyRateLimitHookHandler;
    const hooks = [detached(), detached.call(null), detached.call(instance)];
    expect(hooks[0]).toBe(hooks[2]);
    expect(hooks[1]).toBe(hooks[2]);
    instance.get('/', { onRequest: hooks[0] }, async () => 'ok');
    const first = await instance.inject({ url: '/' });
    const second = await instance.inject({ url: '/' });
    expect([first.statusCode, second.statusCode]).toEqual([200, 429]);
  });

  async function limitedApp(): Promise<{ instance: FastifyInstance; failures: unknown[] }> {
    const instance = make();
    closers.push(() => instance.close());
    const failures: unknown[] = [];
    await instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m' });
    instance.get('/', async () => 'ok');
    instance.setErrorHandler((error, _request, reply) => {
      failures.push(error);
      reply.code(500).send();
    });
    return { instance, failures };
  }

  it('a request without a socket is an error naming req.ip, not a TypeError', async () => {
    const { instance, failures } = await limitedApp();
    await instance.ready();
    expect((await socketless((req, res) => instance.routing(req, res), {})).statusCode).toBe(500);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(SluiceArgumentError);
    expect((failures[0] as Error).message).toMatch(/^sluice: argument `req\.ip` must be the client IP address, but the request has none/);
  });
});
