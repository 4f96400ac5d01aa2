/**
 * One HTTP app per contender and scenario, as a user of each library would write it: the limiter
 * mounted globally, one `GET /` route answering `ok`. Loaded only in the server process.
 */
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import express, { type RequestHandler } from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { type LimiterChoice, rateLimit as sluiceRateLimit } from '../../adapters/express.js';
import sluice from '../../adapters/fastify.js';
import { RateLimiter, RedisStore } from '../../src/index.js';
import { floorLimiter, floorPolicyValue, floorRateLimitValue } from '../lib/floorLimiter.js';
import { type HttpContender, KEY_HEADER, LIMITS, type Scenario } from './contenders.js';

export interface RunningApp {
  readonly port: number;
  close(): Promise<void>;
}

/** What the server needs from outside: a Redis connection for the Redis contenders. */
export interface AppContext {
  /** A fresh ioredis client per call (each app gets its own, as separate deployments would). */
  readonly redis: () => Redis;
}

type Limits = (typeof LIMITS)[Scenario];

const headerKey = (headers: Record<string, string | string[] | undefined>): string => {
  const value = headers[KEY_HEADER];
  if (typeof value !== 'string' || value === '') throw new Error(`bench: request without an ${KEY_HEADER} header`);
  return value;
};

// --- sluice ---------------------------------------------------------------------------------------

/** Inline limit options for the memory store (what users write); a ready limiter on a RedisStore for Redis. */
function sluiceLimiterOptions(contender: HttpContender, limits: Limits, context: AppContext): LimiterChoice {
  const inline = { capacity: limits.capacity, refillRate: limits.refillRate, interval: limits.intervalMs };
  if (contender.store !== 'redis') return inline;
  return { limiter: new RateLimiter({ ...inline, store: new RedisStore({ client: context.redis() }) }) };
}

/** The contender's `headers` option, when it sets one. */
function sluiceHeaders(contender: HttpContender): { headers?: 'legacy' } {
  return contender.sluiceHeaders === undefined ? {} : { headers: contender.sluiceHeaders };
}

// --- Express ---------------------------------------------------------------------------------------

async function expressLimiter(contender: HttpContender, scenario: Scenario, context: AppContext): Promise<RequestHandler | undefined> {
  const limits = LIMITS[scenario];
  const newKey = scenario === 'newKey';
  switch (contender.library) {
    case 'bare':
      return undefined;
    case 'noop':
      // What any middleware costs Express before it does anything.
      return (_req, _res, next) => next();
    case 'floor': {
      const take = floorLimiter(limits);
      const policy = floorPolicyValue(limits);
      return (req, res, next) => {
        const remaining = take(newKey ? headerKey(req.headers) : (req.socket.remoteAddress ?? ''));
        if (remaining < 0) {
          res.status(429).send('Too Many Requests');
          return;
        }
        res.setHeader('RateLimit-Policy', policy);
        res.setHeader('RateLimit', floorRateLimitValue(remaining));
        next();
      };
    }
    case 'sluice': {
      const options = { ...sluiceLimiterOptions(contender, limits, context), ...sluiceHeaders(contender) };
      return sluiceRateLimit(newKey ? { ...options, key: (req) => headerKey(req.headers) } : options);
    }
    case 'express-rate-limit': {
      const redis = contender.store === 'redis' ? context.redis() : undefined;
      return expressRateLimit({
        windowMs: limits.intervalMs,
        limit: limits.capacity,
        // The same header syntax sluice sends by default.
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        ...(newKey ? { keyGenerator: (req: express.Request) => headerKey(req.headers) } : {}),
        ...(redis
          ? {
              store: new RateLimitRedisStore({
                prefix: 'erl:',
                sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
              }),
            }
          : {}),
      });
    }
    case 'rate-limiter-flexible': {
      const options = { points: limits.capacity, duration: limits.intervalMs / 1000, keyPrefix: 'rlf' };
      const limiter =
        contender.store === 'redis' ? new RateLimiterRedis({ ...options, storeClient: context.redis() }) : new RateLimiterMemory(options);
      // It ships no middleware: this is the one its README shows (and it sends no headers).
      return (req, res, next) => {
        const key = newKey ? headerKey(req.headers) : (req.ip ?? '');
        limiter.consume(key).then(
          () => next(),
          (rejection: unknown) => {
            if (rejection instanceof RateLimiterRes) res.status(429).send('Too Many Requests');
            else next(rejection);
          },
        );
      };
    }
    default:
      throw new Error(`bench: ${contender.library} is not an Express contender`);
  }
}

async function listenExpress(app: express.Express): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', (error?: Error) => {
      if (error) return reject(error);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

async function startExpress(contender: HttpContender, scenario: Scenario, context: AppContext): Promise<RunningApp> {
  const app = express();
  const limiter = await expressLimiter(contender, scenario, context);
  if (limiter) app.use(limiter);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  return listenExpress(app);
}

// --- Fastify ---------------------------------------------------------------------------------------

async function startFastify(contender: HttpContender, scenario: Scenario, context: AppContext): Promise<RunningApp> {
  const limits = LIMITS[scenario];
  const newKey = scenario === 'newKey';
  const app = Fastify({ logger: false });
  const keyFromHeader = (request: FastifyRequest) => headerKey(request.headers);
  switch (contender.library) {
    case 'bare':
      break;
    case 'noop':
      // What any onRequest hook costs Fastify before it does anything.
      app.addHook('onRequest', (_request, _reply, done) => done());
      break;
    case 'floor': {
      const take = floorLimiter(limits);
      const policy = floorPolicyValue(limits);
      app.addHook('onRequest', (request, reply, done) => {
        const remaining = take(newKey ? keyFromHeader(request) : request.ip);
        if (remaining < 0) {
          reply.code(429).send('Too Many Requests');
          return;
        }
        reply.header('RateLimit-Policy', policy);
        reply.header('RateLimit', floorRateLimitValue(remaining));
        done();
      });
      break;
    }
    case 'sluice': {
      const options = { ...sluiceLimiterOptions(contender, limits, context), ...sluiceHeaders(contender) };
      await app.register(sluice, newKey ? { ...options, key: keyFromHeader } : options);
      break;
    }
    case '@fastify/rate-limit':
      await app.register(fastifyRateLimit, {
        max: limits.capacity,
        timeWindow: limits.intervalMs,
        nameSpace: 'frl-',
        ...(newKey ? { keyGenerator: keyFromHeader } : {}),
        ...(contender.store === 'redis' ? { redis: context.redis() } : {}),
      });
      break;
    default:
      throw new Error(`bench: ${contender.library} is not a Fastify contender`);
  }
  app.get('/', async () => 'ok');
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
}

/** Starts the app of `contender` for `scenario` on a free loopback port. */
export function startApp(contender: HttpContender, scenario: Scenario, context: AppContext): Promise<RunningApp> {
  return contender.framework === 'express' ? startExpress(contender, scenario, context) : startFastify(contender, scenario, context);
}
