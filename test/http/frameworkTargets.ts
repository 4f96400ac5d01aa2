/**
 * Real Express 4/5 and Fastify 4/5 apps on real sockets behind one sluice limiter, the same routes on each,
 * for tests that run every option through every framework (and need a client that can disconnect).
 *
 * Routes: `GET /` answers the decision the handler reads (`req.rateLimit` / `request.rateLimit` and
 * `rateLimitOf`), `GET /status/:code` answers that status, `GET /throw` throws in the handler, `GET /hang`
 * never answers, `GET /close-listeners` answers how many 'close' listeners Node's response has (leftovers of sluice).
 */
import express5, { type ErrorRequestHandler, type Request } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance, type FastifyRequest } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach } from 'vitest';
import { type ExpressRateLimitOptions, rateLimitOf as expressRateLimitOf, rateLimit } from '../../adapters/express.js';
import sluice, { type FastifyRateLimitOptions, rateLimitOf as fastifyRateLimitOf } from '../../adapters/fastify.js';
import type { Decision } from '../../src/index.js';
import { listenExpress, rateLimitHeaders } from './adapterTestSupport.js';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What the handler of `GET /` saw. */
export interface SeenDecision {
  allowed: boolean | null;
  remaining: number | null;
  limit: number | null;
  /** `rateLimitOf(req)` is the object `req.rateLimit` holds. */
  same: boolean;
}

export interface Running {
  readonly url: string;
  get(path?: string, init?: RequestInit): Promise<Reply>;
  /** Errors that reached the framework's error handler. */
  readonly errors: Error[];
  /** How many handlers ran. */
  readonly handled: () => number;
}

export interface FrameworkTarget {
  readonly name: string;
  readonly isFastify: boolean;
  /** Starts an app limited by sluice with `options`; `setup` may add to a Fastify app before its routes (hooks, not-found handler). */
  start(options: object, setup?: (app: FastifyInstance) => void | Promise<void>): Promise<Running>;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function summary(decision: Decision | undefined, same: boolean): SeenDecision {
  return { allowed: decision?.allowed ?? null, remaining: decision?.remaining ?? null, limit: decision?.limit ?? null, same };
}

function client(url: string, errors: Error[], handled: () => number): Running {
  return {
    url,
    async get(path = '/', init = {}) {
      const response = await fetch(`${url}${path}`, init);
      return { status: response.status, headers: rateLimitHeaders(response.headers), body: await response.text() };
    },
    errors,
    handled,
  };
}

function expressTarget(name: string, factory: typeof express5): FrameworkTarget {
  return {
    name,
    isFastify: false,
    async start(options) {
      const app = factory();
      const errors: Error[] = [];
      let handled = 0;
      app.use(rateLimit(options as ExpressRateLimitOptions));
      app.get('/', (req: Request, res) => {
        handled++;
        res.json(summary(req.rateLimit, expressRateLimitOf(req) === req.rateLimit));
      });
      app.get('/status/:code', (req, res) => {
        handled++;
        res.status(Number(req.params.code)).send('status');
      });
      app.get('/throw', () => {
        handled++;
        throw new Error('handler failed');
      });
      app.get('/hang', () => {
        handled++;
      });
      app.get('/close-listeners', (_req, res) => {
        handled++;
        res.json(res.listenerCount('close'));
      });
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        errors.push(error);
        if (!res.headersSent) res.status(500).json({ failed: error.name, message: error.message });
      };
      app.use(onError);
      const url = await listenExpress(app, closers);
      return client(url, errors, () => handled);
    },
  };
}

function fastifyTarget(name: string, factory: typeof fastify5): FrameworkTarget {
  return {
    name,
    isFastify: true,
    async start(options, setup) {
      const app = (factory as unknown as (options: object) => FastifyInstance)({ forceCloseConnections: true });
      const errors: Error[] = [];
      let handled = 0;
      closers.push(() => app.close());
      app.setErrorHandler((error, _request, reply) => {
        errors.push(error as Error);
        if (!reply.sent) reply.code(500).send({ failed: (error as Error).name, message: (error as Error).message });
      });
      await app.register(sluice, options as FastifyRateLimitOptions);
      await setup?.(app);
      app.get('/', async (request: FastifyRequest) => {
        handled++;
        return summary(request.rateLimit, fastifyRateLimitOf(request) === request.rateLimit);
      });
      app.get('/status/:code', async (request, reply) => {
        handled++;
        reply.code(Number((request.params as { code: string }).code));
        return 'status';
      });
      app.get('/throw', async () => {
        handled++;
        throw new Error('handler failed');
      });
      app.get('/hang', () => {
        handled++;
      });
      app.get('/close-listeners', async (_request, reply) => {
        handled++;
        return reply.raw.listenerCount('close');
      });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return client(url, errors, () => handled);
    },
  };
}

export const FRAMEWORK_TARGETS: readonly FrameworkTarget[] = [
  expressTarget('Express 4', express4 as unknown as typeof express5),
  expressTarget('Express 5', express5),
  fastifyTarget('Fastify 4', fastify4 as unknown as typeof fastify5),
  fastifyTarget('Fastify 5', fastify5),
];
