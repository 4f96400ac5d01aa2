/**
 * The server side of `npm run bench:http:inprocess`: every arm of one framework behind one HTTP
 * server whose request listener is timed (./requestTimer.ts). Handlers are synchronous, so a request
 * ends inside the listener call, or, behind an async limiter (the peers, the control arm), in the
 * microtasks that call queued.
 *
 * Express: one app per arm, with the limiter mounted as a user would (`app.use(rateLimit(...))`), so
 * an arm pays exactly what mounting it adds (an Express layer and the middleware), and the listener
 * hands each request to the app its `x-arm` header names. Not one app with a dispatching middleware:
 * that hides the layer, and the empty arm would be the bare one. Not a sub-router per arm: leaving a
 * router goes through setImmediate. The apps share one request and one response prototype, as the
 * requests of a real (single-app) server do: with a prototype per app, Node's and Express' code would
 * see as many object shapes as there are arms, and each property access would cost more than it does.
 *
 * Fastify: one instance (so one Request/Reply class: the same reason), the sluice plugin registered
 * once, one route per arm; the arms that are not sluice's plugin exempt themselves with
 * `config.rateLimit: false`. The timed listener is Fastify's own handler, from `serverFactory`.
 * @fastify/rate-limit reads the same `config.rateLimit` as sluice's plugin, so it gets a second
 * instance, registered once as its docs show, with a bare route of its own (its figures are taken
 * over that one) and a route per peer arm; the listener hands each request to the instance of its arm.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyPeerRateLimit, { type RateLimitOptions as FastifyPeerRouteOptions } from '@fastify/rate-limit';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit as expressRateLimit } from 'express-rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type onRequestAsyncHookHandler,
  type onRequestHookHandler,
} from 'fastify';
import { rateLimit } from '../../adapters/express.js';
import sluice, { type FastifyRouteRateLimitOptions } from '../../adapters/fastify.js';

import { RateLimitHeaders } from '../../src/http/headers.js';
import { MemoryStore, RateLimiter } from '../../src/index.js';
import type { Framework } from '../http/contenders.js';
import { type FloorLimits, type FloorTake, floorLimiter, floorPolicyValue, floorRateLimitValue } from '../lib/floorLimiter.js';
import { ARM_HEADER, type Arm, KEY_HEADER, NEW_KEY_INTERVAL_MS, NEW_KEY_LIMITS, ONE_CLIENT_LIMITS } from './arms.js';
import type { RequestTimer } from './requestTimer.js';

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The new-key arm's key; a request without the header is a bench bug, answered 500 and counted. */
function benchKey(req: Request | FastifyRequest): string {
  const value = req.headers[KEY_HEADER];
  if (typeof value !== 'string' || value === '') throw new Error(`bench: request without an ${KEY_HEADER} header`);
  return value;
}

/** A key scenario's limits for the floor limiter: the sluice arm's, with the interval in ms. */
function floorLimits(newKey: boolean): FloorLimits {
  return newKey
    ? { capacity: NEW_KEY_LIMITS.capacity, refillRate: NEW_KEY_LIMITS.refillRate, intervalMs: NEW_KEY_INTERVAL_MS }
    : { capacity: ONE_CLIENT_LIMITS.capacity, refillRate: ONE_CLIENT_LIMITS.refillRate, intervalMs: ONE_CLIENT_LIMITS.interval };
}

// The headers sluice sends in the one-client arm, for the headers-only arm; `r` varies, as sluice's does.
const POLICY_VALUE = floorPolicyValue(floorLimits(false));
let remaining = 0;
const rateLimitValue = () => `"default";r=${999_999_000 + (remaining++ % 1000)};t=0`;

/** The second limiter of the sluice-twice arm: other limits, so another namespace (not a double count). */
const SECOND_LIMITS = { ...ONE_CLIENT_LIMITS, capacity: ONE_CLIENT_LIMITS.capacity - 1 } as const;

/** The floor limiter of a floor-limiter arm, with its arm's limits, and the `RateLimit-Policy` sluice sends for them. */
function floorFor(arm: Arm): { take: FloorTake; policy: string } {
  const limits = floorLimits(arm.newKey);
  return { take: floorLimiter(limits), policy: floorPolicyValue(limits) };
}

/** A peer arm's limits, as its window: the sluice arm's capacity per interval of the same key scenario. */
function peerWindow(newKey: boolean): { max: number; windowMs: number } {
  return newKey
    ? { max: NEW_KEY_LIMITS.capacity, windowMs: NEW_KEY_INTERVAL_MS }
    : { max: ONE_CLIENT_LIMITS.capacity, windowMs: ONE_CLIENT_LIMITS.interval };
}

/** The core-headers arm: the limiter and the header writer without the adapter around them. */
function coreAndHeaders(): { limiter: RateLimiter; headers: RateLimitHeaders } {
  const limiter = new RateLimiter({ ...ONE_CLIENT_LIMITS });
  return { limiter, headers: new RateLimitHeaders(limiter.limits, 'draft-8') };
}

/**
 * The call of a footprint arm: one floor GCRA, one sluice limiter called ten times, or ten limiters (sluice's or the
 * floor's) called once each. Ten calls on one limiter touch the code and data of one call; ten limiters touch the
 * same code and ten times the data.
 */
function footprintCall(arm: Arm): (ip: string) => void {
  const floor = () => floorLimiter(floorLimits(false));
  switch (arm.id) {
    case 'floor-only':
      return floor();
    case 'core-ten-calls': {
      const limiter = new RateLimiter({ ...ONE_CLIENT_LIMITS });
      return (ip) => {
        for (let i = 0; i < 10; i++) limiter.consumeSync(ip);
      };
    }
    case 'core-ten-limiters': {
      const limiters = Array.from({ length: 10 }, () => new RateLimiter({ ...ONE_CLIENT_LIMITS }));
      return (ip) => {
        for (const limiter of limiters) limiter.consumeSync(ip);
      };
    }
    case 'floor-ten-limiters': {
      const takes = Array.from({ length: 10 }, floor);
      return (ip) => {
        for (const take of takes) take(ip);
      };
    }
    default:
      throw new Error(`bench: arm ${arm.id} is not a footprint arm`);
  }
}

// --- Express ---------------------------------------------------------------------------------------

function expressLimiter(arm: Arm): RequestHandler | RequestHandler[] | undefined {
  switch (arm.id) {
    case 'bare':
    case 'bare2':
      return undefined;
    case 'empty':
      return (_req, _res, next) => next();
    case 'async-empty':
      return (_req, _res, next) => {
        Promise.resolve().then(() => next());
      };
    case 'express-rate-limit':
    case 'express-rate-limit-newkey': {
      // As bench:http mounts it: the same header syntax sluice sends by default.
      const { max, windowMs } = peerWindow(arm.newKey);
      return expressRateLimit({
        windowMs,
        limit: max,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        ...(arm.newKey ? { keyGenerator: benchKey } : {}),
      });
    }
    case 'sluice':
      return rateLimit({ ...ONE_CLIENT_LIMITS });
    case 'sluice-newkey':
      return rateLimit({ ...NEW_KEY_LIMITS, key: benchKey });
    case 'sluice-no-headers':
      return rateLimit({ ...ONE_CLIENT_LIMITS, headers: false });
    case 'sluice-no-warnings':
      return rateLimit({ ...ONE_CLIENT_LIMITS, warnings: false });
    case 'sluice-fixed-key':
      return rateLimit({ ...ONE_CLIENT_LIMITS, key: () => 'client' });
    case 'headers-only':
      return (_req, res, next) => {
        res.setHeader('RateLimit-Policy', POLICY_VALUE);
        res.setHeader('RateLimit', rateLimitValue());
        next();
      };
    case 'floor-limiter':
    case 'floor-limiter-newkey': {
      const { take, policy } = floorFor(arm);
      const newKey = arm.newKey;
      return (req, res, next) => {
        const remaining = take(newKey ? benchKey(req) : (req.socket.remoteAddress ?? ''));
        res.setHeader('RateLimit-Policy', policy);
        res.setHeader('RateLimit', floorRateLimitValue(remaining));
        next();
      };
    }
    case 'core-only': {
      const limiter = new RateLimiter({ ...ONE_CLIENT_LIMITS });
      return (req, _res, next) => {
        limiter.consumeSync(req.socket.remoteAddress ?? '');
        next();
      };
    }
    case 'core-headers': {
      const { limiter, headers } = coreAndHeaders();
      const set = (res: Response, name: string, value: string) => res.setHeader(name, value);
      return (req, res, next) => {
        headers.write(res, limiter.consumeSync(req.socket.remoteAddress ?? ''), set);
        next();
      };
    }
    case 'sluice-twice':
      return [rateLimit({ ...ONE_CLIENT_LIMITS }), rateLimit({ ...SECOND_LIMITS })];
    case 'floor-only':
    case 'core-ten-calls':
    case 'core-ten-limiters':
    case 'floor-ten-limiters': {
      const take = footprintCall(arm);
      return (req, _res, next) => {
        take(req.socket.remoteAddress ?? '');
        next();
      };
    }
    case 'request-guards': {
      // What adapters/express.ts reads and writes on the request and response around the limiter.
      const marks = new WeakMap<object, { key: string; decision: undefined }>();
      let exposedOn: object | null = null;
      return (req, res, next) => {
        const prototype = Object.getPrototypeOf(req) as object | null;
        if (prototype !== exposedOn) exposedOn = prototype;
        if (res.headersSent) return;
        const direct =
          req.headers['x-forwarded-for'] === undefined && !Object.hasOwn(req, 'ip') && !Object.hasOwn(Object.getPrototypeOf(req), 'ip')
            ? req.socket?.remoteAddress
            : undefined;
        const key = direct ?? req.ip ?? '';
        if (marks.get(req) === undefined) marks.set(req, { key, decision: undefined });
        next();
      };
    }
    default:
      throw new Error(`bench: arm ${arm.id} is not an Express arm`);
  }
}

function expressListener(arms: readonly Arm[]): RequestListener {
  const apps = new Map<string, Express>();
  let first: Express | undefined;
  for (const arm of arms) {
    const app = express();
    // One request and one response prototype for all arms (see the top of this file). Their `app` is
    // the first app; every app has the default settings, so what Express reads through it is the same.
    first ??= app;
    app.request = first.request;
    app.response = first.response;
    const limiter = expressLimiter(arm);
    for (const handler of Array.isArray(limiter) ? limiter : limiter ? [limiter] : []) app.use(handler);
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    apps.set(arm.id, app);
  }
  return (req, res) => {
    const app = apps.get(String(req.headers[ARM_HEADER]));
    if (app !== undefined) {
      app(req, res);
    } else {
      res.statusCode = 400;
      res.end(`unknown ${ARM_HEADER}`);
    }
  };
}

// --- Fastify ---------------------------------------------------------------------------------------

/** A route's `config.rateLimit`: false exempts it from the plugin, undefined takes the plugin's limiter. */
function fastifyRateLimit(arm: Arm): FastifyRouteRateLimitOptions | false | undefined {
  switch (arm.id) {
    case 'sluice':
      return undefined;
    case 'sluice-newkey':
      // A store of its own, as each Express limiter has: two limiters alternating on one MemoryStore
      // defeat its last-table cache, an artefact of the rotation rather than what one limiter costs.
      return { ...NEW_KEY_LIMITS, key: benchKey, store: new MemoryStore() };
    case 'sluice-no-headers':
      return { headers: false };
    case 'sluice-no-warnings':
      return { warnings: false };
    case 'sluice-fixed-key':
      return { key: () => 'client' };
    default:
      return false;
  }
}

/** The route's own onRequest hook, for the arms that are not sluice. */
function fastifyHook(arm: Arm): onRequestHookHandler | onRequestAsyncHookHandler | undefined {
  switch (arm.id) {
    case 'empty':
      return (_request, _reply, done) => done();
    case 'async-empty':
      return async () => {};
    case 'headers-only':
      return (_request, reply, done) => {
        reply.header('RateLimit-Policy', POLICY_VALUE);
        reply.header('RateLimit', rateLimitValue());
        done();
      };
    case 'floor-limiter':
    case 'floor-limiter-newkey': {
      const { take, policy } = floorFor(arm);
      const newKey = arm.newKey;
      return (request, reply, done) => {
        const remaining = take(newKey ? benchKey(request) : request.ip);
        reply.header('RateLimit-Policy', policy);
        reply.header('RateLimit', floorRateLimitValue(remaining));
        done();
      };
    }
    case 'core-only': {
      const limiter = new RateLimiter({ ...ONE_CLIENT_LIMITS });
      return (request, _reply, done) => {
        limiter.consumeSync(request.ip);
        done();
      };
    }
    case 'floor-only':
    case 'core-ten-calls':
    case 'core-ten-limiters':
    case 'floor-ten-limiters': {
      const take = footprintCall(arm);
      return (request, _reply, done) => {
        take(request.ip);
        done();
      };
    }
    case 'core-headers': {
      const { limiter, headers } = coreAndHeaders();
      const set = (reply: FastifyReply, name: string, value: string) => {
        reply.header(name, value);
      };
      return (request, reply, done) => {
        headers.write(reply, limiter.consumeSync(request.ip), set);
        done();
      };
    }
    default:
      return undefined;
  }
}

/** A Fastify instance whose request handler is handed over (the server it would make never listens). */
function fastifyInstance(): { app: FastifyInstance; listener: () => RequestListener } {
  let handler: RequestListener | undefined;
  const app = Fastify({
    logger: false,
    serverFactory: (given) => {
      handler = given;
      return createServer();
    },
  });
  return {
    app,
    listener: () => {
      if (handler === undefined) throw new Error('bench: Fastify did not call serverFactory');
      return handler;
    },
  };
}

// Not async: an async handler would send the reply a microtask after the listener returned.
const sendOk = (_request: FastifyRequest, reply: FastifyReply) => {
  reply.send('ok');
};

/** The instance of the sluice plugin and the arms that are not the peer's. */
async function sluiceInstance(arms: readonly Arm[]): Promise<{ listener: RequestListener; close: () => Promise<void> }> {
  const { app, listener } = fastifyInstance();
  await app.register(sluice, { ...ONE_CLIENT_LIMITS });
  for (const arm of arms) {
    if (arm.id === 'sluice-twice') {
      // A child context with a second sluice plugin: its route gets the outer limiter's hook, then this one's.
      await app.register(async (child) => {
        await child.register(sluice, { ...SECOND_LIMITS });
        child.get(arm.fastifyPath, sendOk);
      });
      continue;
    }
    const hook = fastifyHook(arm);
    app.get(arm.fastifyPath, { config: { rateLimit: fastifyRateLimit(arm) }, ...(hook ? { onRequest: hook } : {}) }, sendOk);
  }
  await app.ready();
  return { listener: listener(), close: () => app.close() };
}

/**
 * The instance of @fastify/rate-limit, registered once as its docs and bench:http do (with the one-client
 * limits, default key: the IP, default headers), its bare route exempt and the new-key route keyed on the
 * bench key with the new-key limits (a route's own limits get a store of their own, as sluice's new-key arm has).
 */
async function peerInstance(arms: readonly Arm[]): Promise<{ listener: RequestListener; close: () => Promise<void> }> {
  const { app, listener } = fastifyInstance();
  const oneClient = peerWindow(false);
  await app.register(fastifyPeerRateLimit, { max: oneClient.max, timeWindow: oneClient.windowMs });
  const newKey = peerWindow(true);
  for (const arm of arms) {
    const rateLimit: FastifyPeerRouteOptions | false | undefined =
      arm.id === 'peer-bare' ? false : arm.newKey ? { max: newKey.max, timeWindow: newKey.windowMs, keyGenerator: benchKey } : undefined;
    // Both plugins declare `config.rateLimit` in Fastify's types, and sluice's declaration is the one this file sees.
    app.get(arm.fastifyPath, { config: { rateLimit: rateLimit as FastifyRouteRateLimitOptions | false | undefined } }, sendOk);
  }
  await app.ready();
  return { listener: listener(), close: () => app.close() };
}

/** Both instances behind one listener that picks the instance by the request's arm. */
async function fastifyListener(arms: readonly Arm[]): Promise<{ listener: RequestListener; close: () => Promise<void> }> {
  const onPeer = (arm: Arm) => arm.role === 'peer' || arm.role === 'peer-baseline';
  const main = await sluiceInstance(arms.filter((arm) => !onPeer(arm)));
  const peer = await peerInstance(arms.filter(onPeer));
  const peerArms = new Set<string>(arms.filter(onPeer).map((arm) => arm.id));
  return {
    listener: (req, res) => {
      if (peerArms.has(String(req.headers[ARM_HEADER]))) peer.listener(req, res);
      else main.listener(req, res);
    },
    close: async () => {
      await main.close();
      await peer.close();
    },
  };
}

/** Serves `arms` of `framework` on a free loopback port, each request timed by `timer`. */
export async function startArmsServer(framework: Framework, arms: readonly Arm[], timer: RequestTimer): Promise<RunningServer> {
  const app = framework === 'express' ? { listener: expressListener(arms), close: async () => {} } : await fastifyListener(arms);
  const server: Server = createServer(timer.wrap(app.listener));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
