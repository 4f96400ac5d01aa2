/**
 * `sluice/fastify`: the rate limiter as a Fastify (4 and 5) plugin. Glue only: the work is in src/http.
 *
 * The plugin adds its hook to each route through `onRoute`, so a route gets exactly one limiter:
 * the plugin's, or its own from `config.rateLimit` (created once, when the route is registered; its
 * buckets belong to the route, or to its `groupId`), or none with `config.rateLimit: false`. Routes
 * registered before the plugin (in its context) are not limited, and reported once the app is ready.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Decision } from '../src/core/decision.js';
import { SluiceConfigError } from '../src/core/errors.js';
import { declareOptions } from '../src/core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../src/core/peerOptionNames.js';
import { type CountedMark, decisionOf, type RequestMarks } from '../src/http/countedRequests.js';
import type { HttpFramework, Next } from '../src/http/httpFramework.js';
import { type HttpLimitOptions, httpOptionsSnapshot } from '../src/http/httpLimitOptions.js';
import { createHttpLimiter, PlannedHttpLimiter, type RequestLimiter } from '../src/http/planDispatch.js';
import { RouteLimiters, type RouteLimitOptions } from '../src/http/routeLimiters.js';
import { warnOnce } from '../src/http/warnings.js';
import { watchEarlyRoutes } from './fastifyEarlyRoutes.js';

export type { Decision } from '../src/core/decision.js';
export type { DelayOptions } from '../src/http/delay.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';
export type { PlanChoice } from '../src/http/plans.js';

/** Where the check runs: `onRequest` (default, cheapest) or `preHandler` (after body parsing and auth). */
export type FastifyRateLimitHook = 'onRequest' | 'preHandler';

/** Options of the plugin: a `limiter` or the limit options inline, the HTTP options, `hook` and `global`. */
export type FastifyRateLimitOptions = HttpLimitOptions<FastifyRequest, FastifyReply> & {
  hook?: FastifyRateLimitHook;
  /** False: only routes with `config.rateLimit` (an options object, `{}` for the plugin's) are limited. Default true. */
  global?: boolean;
};

/** A hook that limits requests, for a route's `onRequest`/`preHandler` or `setNotFoundHandler` (from `fastify.rateLimit()`). */
export type FastifyRateLimitHookHandler = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/**
 * A route's `config.rateLimit`: its own limits (its own buckets), a `groupId`, a ready `limiter`, or HTTP
 * options only (the plugin's limiter); HTTP options not given are the plugin's. See `RouteLimitOptions`.
 */
export type FastifyRouteRateLimitOptions = RouteLimitOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** sluice: this route's own rate limit, or false to exempt it. */
    rateLimit?: FastifyRouteRateLimitOptions | false;
  }
  interface FastifyInstance {
    /**
     * sluice: a hook that limits requests, for any route's `onRequest`/`preHandler` or for
     * `setNotFoundHandler({ preHandler: app.rateLimit() }, ...)`. Without options, the plugin's limiter (its
     * buckets); with options, as a route's `config.rateLimit` (own limits get their own buckets, shared by
     * every hook made with the same limits unless given a `groupId`). Available once the plugin is
     * registered (`await app.register(sluice, ...)`).
     */
    rateLimit(options?: FastifyRouteRateLimitOptions): FastifyRateLimitHookHandler;
  }
  interface FastifyRequest {
    /** sluice: the decision of the limiter that counted this request, or undefined when none did (see `rateLimitOf`). */
    readonly rateLimit: Decision | undefined;
  }
}

/** The request decoration holding a request's double-count marks: a field of the request, so writing it is cheap. */
const COUNTED = Symbol.for('sluice.counted');
type MarkedRequest = FastifyRequest & { [COUNTED]?: CountedMark | null };

const marks: RequestMarks<FastifyRequest> = {
  read: (request) => (request as MarkedRequest)[COUNTED],
  write: (request, mark) => {
    (request as MarkedRequest)[COUNTED] = mark;
  },
};

/**
 * The decision of the sluice limiter that counted `request` (the last one, when several did), or undefined
 * when none did (skipped, allow-listed, or not limited). Also readable as `request.rateLimit`.
 */
export function rateLimitOf(request: FastifyRequest): Decision | undefined {
  return decisionOf(marks, request);
}

const fastify: HttpFramework<FastifyRequest, FastifyReply> = {
  ip: (request) => request.ip,
  // Without X-Forwarded-For, `request.ip` is the socket's address whatever `trustProxy` says.
  directIp: (request) => (request.headers['x-forwarded-for'] === undefined ? request.raw.socket?.remoteAddress : undefined),
  // Stryker disable next-line OptionalChaining: equivalent, read only for a request with a client IP, which Fastify gives no request without a socket (undefined, or its own TypeError behind a trusted proxy)
  socketAddress: (request) => request.raw.socket?.remoteAddress,
  forwardedFor: (request) => request.headers['x-forwarded-for'],
  // Fastify does not expose `trustProxy` to plugins.
  trustsEveryProxy: () => undefined,
  responded: (reply) => reply.sent || reply.raw.headersSent,
  setHeader: (reply, name, value) => {
    reply.header(name, value);
  },
  // `reply.header` lowercases every name: given lower case, it does not build a new string per header.
  lowerCaseHeaderNames: true,
  send: (reply, statusCode, body) => {
    reply.code(statusCode).send(body);
  },
  nodeResponse: (reply) => reply.raw,
  marks,
};

const HOOKS: readonly FastifyRateLimitHook[] = ['onRequest', 'preHandler'];

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** A limiter as installed on a route: the hook it goes in, and the hook function. */
interface Installed {
  readonly hook: FastifyRateLimitHook;
  readonly handler: Hook;
}

/** The plugin's own options, beside the HTTP and limiter options; a route may set them too. */
const FASTIFY_OPTIONS = declareOptions(
  {
    hook: (value = 'onRequest', path): FastifyRateLimitHook => {
      if (!HOOKS.includes(value as FastifyRateLimitHook)) throw new SluiceConfigError(path, value, "must be 'onRequest' or 'preHandler'");
      return value as FastifyRateLimitHook;
    },
    global: (value = true, path): boolean => {
      if (typeof value !== 'boolean')
        throw new SluiceConfigError(path, value, 'must be true or false (false: only routes with `config.rateLimit`)');
      return value;
    },
  },
  PEER_OPTION_NAMES,
);
const hookName = FASTIFY_OPTIONS.schema.hook;
/** The adapter options a route's `config.rateLimit` takes: `global` belongs to the plugin only. */
const ROUTE_ADAPTER_OPTION_NAMES = FASTIFY_OPTIONS.names.filter((name) => name !== 'global');

/** Where the buckets of a `fastify.rateLimit(options)` hook with limits of its own (and no groupId) live. */
const DECORATOR_SHAPE = { method: 'HOOK', url: '*', label: 'a rateLimit(options) hook' } as const;

/**
 * The route hook for one limiter: created once per route, so a request allocates no closure here. A
 * refusal is sent from the hook without calling done(): Fastify then skips the handler.
 */
function hookFor(core: RequestLimiter<FastifyRequest, FastifyReply>): Hook {
  return function sluiceRateLimit(request, reply, done) {
    core.handle(request, reply, done as Next);
  };
}

/** One registration of the plugin, as `fastify.rateLimit()` on its instance (and the children without their own) sees it. */
interface Registration {
  rateLimit(options?: FastifyRouteRateLimitOptions): Hook;
}

/** Where an instance keeps its plugin registration. */
const REGISTRATION = Symbol('sluice.registration');

/**
 * The context whose registration of the plugin is nearest to `self` (an instance a route is declared on): `self`, or
 * the nearest parent that registered the plugin. Undefined when called without an instance.
 */
function registeringContext(self: unknown): object | undefined {
  let context: unknown = self;
  while (context !== null && typeof context === 'object') {
    if (Object.hasOwn(context, REGISTRATION)) return context;
    context = Object.getPrototypeOf(context);
  }
  return undefined;
}

/**
 * The registration `fastify.rateLimit()` was called on: the latest of the nearest context that registered the plugin
 * (see registeringContext); `fallback` (the decorating one) when called without an instance.
 */
function registrationOf(self: unknown, fallback: Registration): Registration {
  const context = registeringContext(self) as { [REGISTRATION]: Registration } | undefined;
  return context === undefined ? fallback : context[REGISTRATION];
}

const plugin: FastifyPluginCallback<FastifyRateLimitOptions> = (instance, options, done) => {
  try {
    register(instance, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

function register(instance: FastifyInstance, options: FastifyRateLimitOptions): void {
  // Each option read once: one whose reading throws is named; the object as a whole when its keys cannot be listed.
  const pluginOptions = httpOptionsSnapshot(options, FASTIFY_OPTIONS.names);
  const pluginHook = hookName(pluginOptions.hook, 'hook');
  const global = FASTIFY_OPTIONS.schema.global(pluginOptions.global, 'global');
  const pluginCore = createHttpLimiter<FastifyRequest, FastifyReply>(pluginOptions, fastify, FASTIFY_OPTIONS.names);
  const pluginEntry: Installed = { hook: pluginHook, handler: hookFor(pluginCore) };
  const sawRoute = pluginCore.options.warnings ? watchEarlyRoutes(instance, () => warnOnce('SLUICE_ROUTES_BEFORE_PLUGIN')) : undefined;
  // Cheap double-count marks: a field every request of this context starts with.
  if (!instance.hasRequestDecorator(COUNTED)) instance.decorateRequest(COUNTED, null);
  // `request.rateLimit` reads the marks: a getter, so no request pays for it unless a handler reads it.
  if (!instance.hasRequestDecorator('rateLimit')) {
    instance.decorateRequest('rateLimit', {
      getter(this: FastifyRequest) {
        return decisionOf(marks, this);
      },
    });
  }
  const routes = new RouteLimiters<FastifyRequest, FastifyReply, Installed>(
    pluginOptions,
    pluginCore.limiter,
    fastify,
    ROUTE_ADAPTER_OPTION_NAMES,
    (core, merged, path) => ({
      hook: hookName(merged.hook, `${path}.hook`),
      handler: hookFor(core),
    }),
    pluginCore instanceof PlannedHttpLimiter ? pluginCore.options.plans : undefined,
  );
  const registration: Registration = {
    rateLimit(hookOptions) {
      if (hookOptions === undefined) return pluginEntry.handler;
      if (hookOptions === null || typeof hookOptions !== 'object') {
        throw new SluiceConfigError('rateLimit(options)', hookOptions, 'must be an options object or nothing');
      }
      return routes.forRoute(hookOptions as Record<string, unknown>, DECORATOR_SHAPE, 'rateLimit(options)').handler;
    },
  };
  // fastify-plugin runs this in the registering instance's context, and a child context inherits its
  // parent's properties through its prototype: the nearest registration is found by the lookup.
  Object.defineProperty(instance, REGISTRATION, { value: registration, configurable: true, writable: true });
  if (!instance.hasDecorator('rateLimit')) {
    function rateLimit(this: unknown, hookOptions?: FastifyRouteRateLimitOptions): Hook {
      return registrationOf(this, registration).rateLimit(hookOptions);
    }
    // Cast: an app that also has @fastify/rate-limit's types sees its `rateLimit` overload here too.
    instance.decorate('rateLimit', rateLimit as never);
  }

  // Fastify calls the hook with the instance the route is declared on: a route of a context that registered the plugin
  // again (a child's) is limited by that context's registrations alone, never by its parent's too.
  instance.addHook('onRoute', function limitRoute(this: unknown, routeOptions: RouteOptions) {
    if (registeringContext(this) !== instance) return;
    sawRoute?.(routeOptions);
    const config = (routeOptions.config as { rateLimit?: unknown } | undefined)?.rateLimit;
    if (config === false || (config === undefined && !global)) return;
    let entry = pluginEntry;
    if (config !== undefined) {
      if (config === null || typeof config !== 'object') {
        throw new SluiceConfigError('config.rateLimit', config, 'must be an options object or false');
      }
      entry = routes.forRoute(config as Record<string, unknown>, routeOptions, 'config.rateLimit');
    }
    const existing = routeOptions[entry.hook];
    routeOptions[entry.hook] = (
      existing === undefined ? [entry.handler] : [...(Array.isArray(existing) ? existing : [existing]), entry.handler]
    ) as never;
  });
}

/** The sluice Fastify plugin: `await app.register(sluice, { capacity: 20, refillRate: 100, interval: '1m' })`. */
export const sluice = fp(plugin, { fastify: '4.x || 5.x', name: 'sluice' });
export default sluice;
