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
import { SluiceConfigError } from '../src/core/errors.js';
import type { CountedMark } from '../src/http/countedRequests.js';
import { type HttpFramework, HttpLimiter, type Next } from '../src/http/httpLimiter.js';
import { HTTP_OPTION_NAMES, type HttpLimitOptions, type HttpOptions } from '../src/http/httpLimitOptions.js';
import { groupPrefix, routePrefix } from '../src/http/routePrefix.js';
import { warnOnce } from '../src/http/warnings.js';
import { LIMIT_OPTION_NAMES, type RateLimiterOptions } from '../src/limiter/limiterOptions.js';
import type { RateLimiter } from '../src/limiter/rateLimiter.js';
import { watchEarlyRoutes } from './fastifyEarlyRoutes.js';

export type { Decision } from '../src/core/decision.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';

/** Where the check runs: `onRequest` (default, cheapest) or `preHandler` (after body parsing and auth). */
export type FastifyRateLimitHook = 'onRequest' | 'preHandler';

/** Options of the plugin: a `limiter` or the limit options inline, the HTTP options, and `hook`. */
export type FastifyRateLimitOptions = HttpLimitOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook };

type NoInlineLimit = { [K in keyof RateLimiterOptions | 'limits']?: undefined };

/**
 * A route's `config.rateLimit`. With limit options (`capacity`, `limits`...), the route gets a limiter of its
 * own, on the plugin's store, whose buckets belong to the route: its methods and URL pattern (and
 * constraints), so `GET /item` and `POST /item` never share one; the automatic HEAD of a GET shares the GET's.
 * With `groupId`, the routes of that group share one bucket instead (with the route's limits, or the plugin's).
 * With a ready `limiter`, the route uses it as it is. With HTTP options only, it uses the plugin's limiter
 * with those options. HTTP options not given are the plugin's.
 */
export type FastifyRouteRateLimitOptions = HttpOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook } & (
    | ({ limiter?: RateLimiter; groupId?: undefined } & NoInlineLimit)
    | (Partial<RateLimiterOptions> & {
        limiter?: undefined;
        /**
         * Routes with the same `groupId` (under one plugin registration) share one bucket per key, e.g. the
         * steps of a login flow. They must have the same limits; without limits of their own, the plugin's.
         */
        groupId?: string;
      })
  );

declare module 'fastify' {
  interface FastifyContextConfig {
    /** sluice: this route's own rate limit, or false to exempt it. */
    rateLimit?: FastifyRouteRateLimitOptions | false;
  }
}

/** The request decoration holding a request's double-count marks: a field of the request, so writing it is cheap. */
const COUNTED = Symbol.for('sluice.counted');
type MarkedRequest = FastifyRequest & { [COUNTED]?: CountedMark | null };

const fastify: HttpFramework<FastifyRequest, FastifyReply> = {
  ip: (request) => request.ip,
  // Without X-Forwarded-For, `request.ip` is the socket's address whatever `trustProxy` says.
  directIp: (request) => (request.headers['x-forwarded-for'] === undefined ? request.raw.socket?.remoteAddress : undefined),
  socketAddress: (request) => request.raw.socket?.remoteAddress,
  forwardedFor: (request) => request.headers['x-forwarded-for'],
  // Fastify does not expose `trustProxy` to plugins.
  trustsEveryProxy: () => undefined,
  responded: (reply) => reply.sent || reply.raw.headersSent,
  setHeader: (reply, name, value) => {
    reply.header(name, value);
  },
  send: (reply, statusCode, body) => {
    reply.code(statusCode).send(body);
  },
  marks: {
    read: (request) => (request as MarkedRequest)[COUNTED],
    write: (request, mark) => {
      (request as MarkedRequest)[COUNTED] = mark;
    },
  },
};

const HOOKS: readonly FastifyRateLimitHook[] = ['onRequest', 'preHandler'];
/** Limiter options a route's own limiter takes from the plugin's inline options (not the limit itself). */
const INHERITED_LIMITER_OPTIONS = ['store', 'clock', 'timeoutMs', 'onStoreError', 'onDegraded'] as const;

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

function hookName(value: unknown, option: string): FastifyRateLimitHook {
  if (value === undefined) return 'onRequest';
  if (!HOOKS.includes(value as FastifyRateLimitHook)) throw new SluiceConfigError(option, value, "must be 'onRequest' or 'preHandler'");
  return value as FastifyRateLimitHook;
}

/**
 * The route hook for one limiter: created once per route, so a request allocates no closure here. A
 * refusal is sent from the hook without calling done(): Fastify then skips the handler.
 */
function hookFor(core: HttpLimiter<FastifyRequest, FastifyReply>): Hook {
  return function sluiceRateLimit(request, reply, done) {
    core.handle(request, reply, done as Next);
  };
}

/** Options of a route's own limiter: the plugin's HTTP options, overridden by the route's. */
function routeOptionsFor(
  plugin: Record<string, unknown>,
  pluginLimiter: RateLimiter,
  route: Record<string, unknown>,
  routeOptions: RouteOptions,
) {
  const merged: Record<string, unknown> = {};
  for (const name of [...HTTP_OPTION_NAMES, 'hook']) if (name !== 'limiter' && plugin[name] !== undefined) merged[name] = plugin[name];
  const { groupId, ...own } = route;
  const ownLimit = own.limits !== undefined || LIMIT_OPTION_NAMES.some((name) => own[name] !== undefined);
  if (groupId !== undefined && (typeof groupId !== 'string' || groupId === '')) {
    throw new SluiceConfigError('config.rateLimit.groupId', groupId, 'must be a non-empty string');
  }
  if (own.limiter !== undefined) {
    if (groupId !== undefined) {
      throw new SluiceConfigError(
        'config.rateLimit.groupId',
        groupId,
        'cannot be combined with `limiter`: routes given one limiter share its buckets already',
      );
    }
  } else if (!ownLimit && groupId === undefined) {
    merged.limiter = pluginLimiter;
  } else {
    for (const name of INHERITED_LIMITER_OPTIONS) if (plugin[name] !== undefined) merged[name] = plugin[name];
    // The plugin's store (even its default MemoryStore), under a prefix of the route's or the group's own.
    merged.store = pluginLimiter.store;
    const base = pluginLimiter.policy.prefix;
    merged.prefix =
      groupId === undefined
        ? routePrefix(base, routeOptions.method, routeOptions.url, routeOptions.constraints)
        : groupPrefix(base, groupId);
    if (!ownLimit) {
      merged.limits = pluginLimiter.limits.map((band) => ({
        capacity: band.capacity,
        refillRate: band.refillRate,
        interval: band.intervalMs,
        name: band.name,
      }));
    }
  }
  for (const [name, value] of Object.entries(own)) if (value !== undefined) merged[name] = value;
  return merged;
}

/** A route's own limiter, as the plugin made it for one `config.rateLimit` object. */
interface RouteLimiter {
  readonly methods: readonly string[];
  /** The route's URL pattern and constraints (routePrefix without methods), to find the GET of an automatic HEAD. */
  readonly where: string;
  readonly hook: FastifyRateLimitHook;
  readonly handler: Hook;
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
  const pluginOptions = options as unknown as Record<string, unknown>;
  const pluginHook = hookName(pluginOptions.hook, 'hook');
  const pluginCore = new HttpLimiter<FastifyRequest, FastifyReply>(options, fastify, ['hook']);
  const pluginHandler = hookFor(pluginCore);
  const sawRoute = pluginCore.options.warnings ? watchEarlyRoutes(instance, () => warnOnce('SLUICE_ROUTES_BEFORE_PLUGIN')) : undefined;
  // Cheap double-count marks: a field every request of this context starts with.
  if (!instance.hasRequestDecorator(COUNTED)) instance.decorateRequest(COUNTED, null);
  // A route's config object → the limiters made for it: the HEAD route Fastify adds for a GET shares the GET's.
  const routeLimiters = new WeakMap<object, RouteLimiter[]>();
  // groupId → its first route's limiter: every route of a group must share its namespace and store.
  const groups = new Map<string, { limiter: RateLimiter; route: string }>();

  const routeLimiterFor = (config: Record<string, unknown>, routeOptions: RouteOptions): RouteLimiter => {
    const methods = typeof routeOptions.method === 'string' ? [routeOptions.method] : [...routeOptions.method];
    const where = routePrefix('', '', routeOptions.url, routeOptions.constraints);
    let made = routeLimiters.get(config);
    if (made === undefined) {
      made = [];
      routeLimiters.set(config, made);
    }
    if (methods.length === 1 && methods[0] === 'HEAD') {
      const get = made.find((limiter) => limiter.where === where && limiter.methods.includes('GET'));
      if (get !== undefined) return get;
    }
    const merged = routeOptionsFor(pluginOptions, pluginCore.limiter, config, routeOptions);
    const core = new HttpLimiter<FastifyRequest, FastifyReply>(merged, fastify, ['hook']);
    const route = `${methods.join(',')} ${routeOptions.url}`;
    const { groupId } = config;
    if (typeof groupId === 'string') {
      const first = groups.get(groupId);
      if (first === undefined) groups.set(groupId, { limiter: core.limiter, route });
      else if (first.limiter.store !== core.limiter.store || first.limiter.policy.namespace !== core.limiter.policy.namespace) {
        throw new SluiceConfigError(
          'config.rateLimit.groupId',
          groupId,
          `is used by ${first.route} and ${route} with other limits, prefixes or stores; give the routes of one group the same limits`,
        );
      }
    }
    const limiter = { methods, where, hook: hookName(merged.hook, 'config.rateLimit.hook'), handler: hookFor(core) };
    made.push(limiter);
    return limiter;
  };

  instance.addHook('onRoute', (routeOptions: RouteOptions) => {
    sawRoute?.(routeOptions);
    const config = (routeOptions.config as { rateLimit?: unknown } | undefined)?.rateLimit;
    if (config === false) return;
    let hook = pluginHook;
    let handler = pluginHandler;
    if (config !== undefined) {
      if (config === null || typeof config !== 'object') {
        throw new SluiceConfigError('config.rateLimit', config, 'must be an options object or false');
      }
      const entry = routeLimiterFor(config as Record<string, unknown>, routeOptions);
      hook = entry.hook;
      handler = entry.handler;
    }
    const existing = routeOptions[hook];
    routeOptions[hook] = (existing === undefined ? [handler] : [...(Array.isArray(existing) ? existing : [existing]), handler]) as never;
  });
}

/** The sluice Fastify plugin: `await app.register(sluice, { capacity: 20, refillRate: 100, interval: '1m' })`. */
export const sluice = fp(plugin, { fastify: '4.x || 5.x', name: 'sluice' });
export default sluice;
