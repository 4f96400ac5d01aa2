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
import { declareOptions } from '../src/core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../src/core/peerOptionNames.js';
import type { CountedMark } from '../src/http/countedRequests.js';
import type { HttpFramework, Next } from '../src/http/httpFramework.js';
import { HttpLimiter } from '../src/http/httpLimiter.js';
import type { HttpLimitOptions } from '../src/http/httpLimitOptions.js';
import { RouteLimiters, type RouteLimitOptions } from '../src/http/routeLimiters.js';
import { warnOnce } from '../src/http/warnings.js';
import { watchEarlyRoutes } from './fastifyEarlyRoutes.js';

export type { Decision } from '../src/core/decision.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';

/** Where the check runs: `onRequest` (default, cheapest) or `preHandler` (after body parsing and auth). */
export type FastifyRateLimitHook = 'onRequest' | 'preHandler';

/** Options of the plugin: a `limiter` or the limit options inline, the HTTP options, and `hook`. */
export type FastifyRateLimitOptions = HttpLimitOptions<FastifyRequest, FastifyReply> & { hook?: FastifyRateLimitHook };

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
  },
  PEER_OPTION_NAMES,
);
const hookName = FASTIFY_OPTIONS.schema.hook;

/**
 * The route hook for one limiter: created once per route, so a request allocates no closure here. A
 * refusal is sent from the hook without calling done(): Fastify then skips the handler.
 */
function hookFor(core: HttpLimiter<FastifyRequest, FastifyReply>): Hook {
  return function sluiceRateLimit(request, reply, done) {
    core.handle(request, reply, done as Next);
  };
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
  const pluginCore = new HttpLimiter<FastifyRequest, FastifyReply>(options, fastify, FASTIFY_OPTIONS.names);
  const pluginEntry: Installed = { hook: pluginHook, handler: hookFor(pluginCore) };
  const sawRoute = pluginCore.options.warnings ? watchEarlyRoutes(instance, () => warnOnce('SLUICE_ROUTES_BEFORE_PLUGIN')) : undefined;
  // Cheap double-count marks: a field every request of this context starts with.
  if (!instance.hasRequestDecorator(COUNTED)) instance.decorateRequest(COUNTED, null);
  const routes = new RouteLimiters<FastifyRequest, FastifyReply, Installed>(
    pluginOptions,
    pluginCore.limiter,
    fastify,
    FASTIFY_OPTIONS.names,
    (core, merged) => ({
      hook: hookName(merged.hook, 'config.rateLimit.hook'),
      handler: hookFor(core),
    }),
  );

  instance.addHook('onRoute', (routeOptions: RouteOptions) => {
    sawRoute?.(routeOptions);
    const config = (routeOptions.config as { rateLimit?: unknown } | undefined)?.rateLimit;
    if (config === false) return;
    let entry = pluginEntry;
    if (config !== undefined) {
      if (config === null || typeof config !== 'object') {
        throw new SluiceConfigError('config.rateLimit', config, 'must be an options object or false');
      }
      entry = routes.forRoute(config as Record<string, unknown>, routeOptions);
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
