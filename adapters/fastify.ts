/**
 * `sluice/fastify`: the rate limiter as a Fastify (4 and 5) plugin. Glue only: the work is in src/http.
 *
 * The plugin adds its hook to each route through `onRoute`, so a route gets exactly one limiter:
 * the plugin's, or its own from `config.rateLimit` (created once, when the route is registered), or
 * none with `config.rateLimit: false`. Routes registered before the plugin (in its context) are not
 * limited, and reported once the app is ready.
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { SluiceConfigError } from '../src/errors.js';
import { type HttpFramework, HttpLimiter, type Next } from '../src/http/httpLimiter.js';
import { HTTP_OPTION_NAMES, type HttpLimitOptions, type HttpOptions } from '../src/http/httpLimitOptions.js';
import { warnOnce } from '../src/http/warnings.js';
import { LIMIT_OPTION_NAMES, type RateLimiterOptions } from '../src/options.js';
import type { RateLimiter } from '../src/rateLimiter.js';
import { watchEarlyRoutes } from './fastifyEarlyRoutes.js';

export type { Decision } from '../src/decision.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';

/** Where the check runs: `onRequest` (default, cheapest) or `preHandler` (after body parsing and auth). */
export type FastifyRateLimitHook = 'onRequest' | 'preHandler';

/** Options of the plugin: a `limiter` or the limit options inline, the HTTP options, and `hook`. */
export type FastifyRateLimitOptions = HttpLimitOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook };

type NoInlineLimit = { [K in keyof RateLimiterOptions | 'limits']?: undefined };

/**
 * A route's `config.rateLimit`. With a `limiter` or limit options (`capacity`, `limits`...), the route
 * gets a limiter of its own (on the plugin's store, under its own prefix); with HTTP options only, it
 * uses the plugin's limiter with those options. HTTP options not given are the plugin's.
 */
export type FastifyRouteRateLimitOptions = HttpOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook } & (
    | ({ limiter?: RateLimiter } & NoInlineLimit)
    | (Partial<RateLimiterOptions> & { limiter?: undefined })
  );

declare module 'fastify' {
  interface FastifyContextConfig {
    /** sluice: this route's own rate limit, or false to exempt it. */
    rateLimit?: FastifyRouteRateLimitOptions | false;
  }
}

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
function routeOptionsFor(plugin: Record<string, unknown>, pluginLimiter: RateLimiter, route: Record<string, unknown>, url: string) {
  const merged: Record<string, unknown> = {};
  for (const name of [...HTTP_OPTION_NAMES, 'hook']) if (name !== 'limiter' && plugin[name] !== undefined) merged[name] = plugin[name];
  const ownLimit =
    route.limiter !== undefined || route.limits !== undefined || LIMIT_OPTION_NAMES.some((name) => route[name] !== undefined);
  if (!ownLimit) {
    merged.limiter = pluginLimiter;
  } else if (route.limiter === undefined) {
    for (const name of INHERITED_LIMITER_OPTIONS) if (plugin[name] !== undefined) merged[name] = plugin[name];
    // The plugin's store (even its default MemoryStore), under a prefix of the route's own.
    merged.store = pluginLimiter.store;
    merged.prefix = `${pluginLimiter.policy.prefix}route:${url}:`;
  }
  for (const [name, value] of Object.entries(route)) if (value !== undefined) merged[name] = value;
  return merged;
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
  // A route's config object → its limiter, per URL: the HEAD route Fastify adds for a GET shares the GET's.
  const routeLimiters = new WeakMap<object, Map<string, { hook: FastifyRateLimitHook; handler: Hook }>>();

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
      let perUrl = routeLimiters.get(config);
      if (perUrl === undefined) {
        perUrl = new Map();
        routeLimiters.set(config, perUrl);
      }
      let entry = perUrl.get(routeOptions.url);
      if (entry === undefined) {
        const merged = routeOptionsFor(pluginOptions, pluginCore.limiter, config as Record<string, unknown>, routeOptions.url);
        const core = new HttpLimiter<FastifyRequest, FastifyReply>(merged, fastify, ['hook']);
        entry = { hook: hookName(merged.hook, 'config.rateLimit.hook'), handler: hookFor(core) };
        perUrl.set(routeOptions.url, entry);
      }
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
