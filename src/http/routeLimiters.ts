/**
 * Per-route limiters of a framework that registers routes with options (Fastify's `config.rateLimit`):
 * which limiter each route gets, and under which prefix its buckets live. Framework-free: the adapter
 * passes a route's methods, URL pattern and constraints, and turns each limiter into its framework's hook.
 *
 * A route's options are the plugin's HTTP options overridden by the route's own. With limit options of
 * its own (`capacity`, `limits`...) the route gets its own limiter on the plugin's store, under a prefix of
 * the route (methods, URL pattern, constraints) or of its `groupId`; with a ready `limiter`, that one; with
 * HTTP options only, the plugin's limiter.
 */
import { SluiceConfigError } from '../core/errors.js';
import { declareOptions } from '../core/optionSchema.js';
import { PEER_OPTION_NAMES, type PeerOptionName } from '../core/peerOptionNames.js';
import { readOption } from '../core/unreadableArgument.js';
import {
  LIMIT_OPTION_NAMES,
  RATE_LIMITER_OPTION_NAMES,
  type RateLimiterOptions,
  SHARED_LIMITER_OPTION_NAMES,
  type SharedLimiterOptions,
} from '../limiter/limiterOptions.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';
import type { HttpFramework } from './httpFramework.js';
import { HTTP_OPTION_NAMES, type HttpOptions, httpAndLimiterNames, type NoInlineLimit } from './httpLimitOptions.js';
import { underOption } from './optionPathPrefix.js';
import { snapshotOptions } from './optionsSnapshot.js';
import { createHttpLimiter, PlannedHttpLimiter, type RequestLimiter } from './planDispatch.js';
import { groupPrefix, routePrefix } from './routePrefix.js';

/** What the core needs to know of a route. */
export interface RouteShape {
  readonly method: string | readonly string[];
  readonly url: string;
  readonly constraints?: unknown;
  /** How errors name the route; default its methods and URL (`GET,POST /login`). */
  readonly label?: string;
}

/**
 * A route's own options (`config.rateLimit` on Fastify). With limit options (`capacity`, `limits`...), the
 * route gets a limiter of its own, on the plugin's store, whose buckets belong to the route: its methods
 * and URL pattern (and constraints), so `GET /item` and `POST /item` never share one; the automatic HEAD
 * of a GET shares the GET's. With `groupId`, the routes of that group share one bucket instead (with the
 * route's limits, or the plugin's). With a ready `limiter`, the route uses it as it is. With HTTP options
 * only, it uses the plugin's limiter with those options. HTTP options not given are the plugin's.
 *
 * A peer library's option name is a type error here even where the framework infers the options' type from
 * the object literal (Fastify does for a route's `config`, so excess-property checks do not run there).
 */
export type RouteLimitOptions<Req, Res> = HttpOptions<Req, Res> &
  NoPeerOptions &
  (
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

/** Every peer library's option name, as a property that cannot be set. */
export type NoPeerOptions = { [K in PeerOptionName]?: never };

/** What a route takes beside the HTTP and limiter options (and the adapter's own, such as Fastify's `hook`). */
const ROUTE_OPTIONS = declareOptions(
  {
    groupId: (value, path): string | undefined => {
      if (value !== undefined && (typeof value !== 'string' || value === ''))
        throw new SluiceConfigError(path, value, 'must be a non-empty string');
      return value;
    },
  },
  PEER_OPTION_NAMES,
);

/** The options of a limit: a route that sets one sets the whole limit (see routeCore). */
const LIMIT_ROOTS: ReadonlySet<string> = new Set([...LIMIT_OPTION_NAMES, 'limits']);

/**
 * The limiter options that are not a limit (`blockDuration`, `timeoutMs`, `store`...): a route that sets one gets a
 * limiter of its own, with the plugin's limit unless it sets one too.
 */
const LIMITER_SETTING_NAMES = RATE_LIMITER_OPTION_NAMES.filter((name) => !LIMIT_ROOTS.has(name));

/** One route limiter, as the adapter made it: `made` is what the adapter built (its hook) from the core. */
interface RouteLimiter<Made> {
  readonly methods: readonly string[];
  /** The route's URL pattern and constraints (routePrefix without methods), to find the GET of an automatic HEAD. */
  readonly where: string;
  readonly made: Made;
}

/**
 * The options of a route's own limiter: the plugin's HTTP options (and `adapterNames`), overridden by the
 * route's; the plugin's limiter when the route has no limit or limiter option of its own, else the plugin's store
 * under the route's or group's prefix, with the plugin's limit unless the route has its own. `path` names the
 * route's options in errors (`config.rateLimit`). Throws a SluiceConfigError for a `groupId` beside `limiter`, and
 * for a route that needs one limit per key under a plugin with `plans` but has none of its own.
 */
export function routeOptions(
  plugin: Readonly<Record<string, unknown>>,
  pluginLimiter: RateLimiter,
  route: Readonly<Record<string, unknown>>,
  shape: RouteShape,
  adapterNames: readonly string[],
  pluginPlans: ReadonlyMap<string, RateLimiter> | undefined,
  path: string,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const name of [...HTTP_OPTION_NAMES, ...adapterNames]) {
    if (name === 'limiter' || name === 'plans') continue;
    if (plugin[name] !== undefined) merged[name] = plugin[name];
  }
  const { groupId } = ROUTE_OPTIONS.read(route, path, httpAndLimiterNames(adapterNames));
  const { groupId: _, ...own } = route;
  const ownPlans = own.plans !== undefined;
  const ownLimit = ownPlans || own.limits !== undefined || LIMIT_OPTION_NAMES.some((name) => own[name] !== undefined);
  // `blockDuration`, `timeoutMs`... belong to a limiter: the route's own, with buckets of its own, as every route's
  // `config.rateLimit` gets a child store of its own in @fastify/rate-limit.
  const setting = LIMITER_SETTING_NAMES.find((name) => own[name] !== undefined);
  // A route with a limit (or plans) of its own, or a ready limiter, does not choose among the plugin's plans.
  if (own.limiter !== undefined || (ownLimit && !ownPlans)) merged.plan = undefined;
  if (own.limiter !== undefined) {
    if (groupId !== undefined) {
      throw new SluiceConfigError(
        `${path}.groupId`,
        groupId,
        'cannot be combined with `limiter`: routes given one limiter share its buckets already',
      );
    }
  } else if (!ownLimit && groupId === undefined && setting === undefined) {
    // The plugin's plans (their limiters, so their buckets are the plugin's), else its limiter.
    if (pluginPlans !== undefined) merged.plans = Object.fromEntries(pluginPlans);
    else merged.limiter = pluginLimiter;
  } else if (!ownLimit && pluginPlans !== undefined) {
    // The plugin's limit depends on each request's plan; the route's one limiter has one limit.
    const [option, value, why] =
      groupId !== undefined
        ? ['groupId', groupId, "a group's routes share one bucket per key, with one limit"]
        : [setting as string, own[setting as string], 'this option makes a limiter of the route’s, with one limit'];
    throw new SluiceConfigError(`${path}.${option}`, value, `needs limits (or plans) of its own under a plugin with \`plans\`: ${why}`);
  } else {
    // A ready limiter's store and failure policy, as the plugin's inline options would give them.
    const inherited = plugin.limiter !== undefined ? sharedOptionsOf(pluginLimiter) : plugin;
    for (const name of SHARED_LIMITER_OPTION_NAMES) if (inherited[name] !== undefined) merged[name] = inherited[name];
    // The plugin's store (even its default MemoryStore), under a prefix of the route's or the group's own.
    merged.store = pluginLimiter.store;
    const base = pluginLimiter.policy.prefix;
    merged.prefix = groupId === undefined ? routePrefix(base, shape.method, shape.url, shape.constraints) : groupPrefix(base, groupId);
    if (!ownLimit) {
      merged.plan = undefined;
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

/**
 * The `sharedOptions` of the plugin's ready `limiter`. Throws a SluiceConfigError naming `limiter` when they cannot
 * be read (a Proxy) or are missing (a limiter of an older sluice): a route must not lose its failure policy silently.
 */
function sharedOptionsOf(limiter: RateLimiter): Readonly<Record<string, unknown>> {
  const shared = readOption('limiter', limiter, () => limiter.sharedOptions) as SharedLimiterOptions | undefined;
  if (shared === null || typeof shared !== 'object') {
    throw new SluiceConfigError(
      'limiter',
      limiter,
      'must have `sharedOptions` (a RateLimiter of this sluice version): a route with limits of its own takes its store and failure policy from them',
    );
  }
  return shared;
}

/**
 * Builds a route's core. An option error is named under the route (`config.rateLimit.blocked.statusCode`, under `path`)
 * when it is about one of the route's own options, or about a limit option (`config.rateLimit.refillRate ... got
 * undefined`): a route's limit of its own takes none of the plugin's; or about `plan` or `plans` when the route gave the
 * other (`plans` without `plan`). Any other is about an option the route inherits
 * from the plugin (its `cost` above the route's capacity) and keeps the plugin's name for it (`cost`).
 */
function routeCore<Core>(build: () => Core, own: Readonly<Record<string, unknown>>, path: string): Core {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof SluiceConfigError)) throw error;
    const root = error.option.split(/[.[]/)[0] as string;
    const given = (name: string) => Object.hasOwn(own, name) && own[name] !== undefined;
    // `plans` without `plan` names `plan`, the one missing: the route's fault when it gave the other.
    const pair = root === 'plan' ? 'plans' : root === 'plans' ? 'plan' : undefined;
    const routes = given(root) || LIMIT_ROOTS.has(root) || (pair !== undefined && given(pair));
    throw routes ? underOption(error, path) : error;
  }
}

/** The limiters whose buckets a route's core counts in, by plan name ('' for a core without plans). */
function bucketsOf<Req extends object, Res>(core: RequestLimiter<Req, Res>): ReadonlyMap<string, RateLimiter> {
  if (!(core instanceof PlannedHttpLimiter)) return new Map([['', core.limiter]]);
  return new Map([...core.plans].map(([name, plan]) => [name, plan.options.limiter]));
}

/**
 * How two cores fail to count in the same buckets alike, or undefined when they do: the same plans, each on the same
 * store, prefix and limits (its namespace), with the same block (a block is a state of the bucket) and clock (a
 * bucket's TAT is read against it).
 */
function bucketDifference(a: ReadonlyMap<string, RateLimiter>, b: ReadonlyMap<string, RateLimiter>): string | undefined {
  const named = (what: string, plan: string) => (a.size === 1 && plan === '' ? what : `${what} for plan ${JSON.stringify(plan)}`);
  if (a.size !== b.size || [...a.keys()].some((plan) => !b.has(plan))) return 'other plans';
  for (const [plan, limiter] of a) {
    const other = b.get(plan) as RateLimiter;
    if (other.store !== limiter.store) return named('another store', plan);
    if (other.policy.prefix !== limiter.policy.prefix) return named('another prefix', plan);
    if (other.policy.namespace !== limiter.policy.namespace) return named('other limits', plan);
    if (other.blockMs !== limiter.blockMs) return named('another blockDuration', plan);
    if (other.sharedOptions.clock !== limiter.sharedOptions.clock) return named('another clock', plan);
  }
  return undefined;
}

/**
 * The route limiters under one plugin registration. Each route options object gets its limiter once; the
 * automatic HEAD route of a GET shares the GET's; the routes of one `groupId` must share store, limits and plans.
 */
export class RouteLimiters<Req extends object, Res, Made> {
  /** A route's options object → the limiters made for it. */
  private readonly byConfig = new WeakMap<object, RouteLimiter<Made>[]>();
  /** groupId → its first route's buckets: every route of a group must count in the same ones. */
  private readonly groups = new Map<string, { buckets: ReadonlyMap<string, RateLimiter>; route: string }>();

  /**
   * @param make turns a route's core (and its merged options, for adapter options such as a hook, named under the
   *   route's `path` in errors) into what the adapter installs on the route.
   */
  constructor(
    private readonly plugin: Readonly<Record<string, unknown>>,
    private readonly pluginLimiter: RateLimiter,
    private readonly framework: HttpFramework<Req, Res>,
    private readonly adapterNames: readonly string[],
    private readonly make: (core: RequestLimiter<Req, Res>, options: Readonly<Record<string, unknown>>, path: string) => Made,
    private readonly pluginPlans?: ReadonlyMap<string, RateLimiter>,
  ) {}

  /**
   * What the adapter installs on a route with this options object; `path` is where the user wrote the options
   * (`config.rateLimit`, `rateLimit(options)`), for errors. Throws a SluiceConfigError for bad options.
   */
  forRoute(config: Readonly<Record<string, unknown>>, shape: RouteShape, path: string): Made {
    const methods = typeof shape.method === 'string' ? [shape.method] : [...shape.method];
    // Stryker disable next-line StringLiteral: equivalent, `where` is only compared with others made by this same call
    const where = routePrefix('', '', shape.url, shape.constraints);
    let made = this.byConfig.get(config);
    if (made === undefined) {
      made = [];
      this.byConfig.set(config, made);
    }
    if (methods.length === 1 && methods[0] === 'HEAD') {
      const get = made.find((limiter) => limiter.where === where && limiter.methods.includes('GET'));
      if (get !== undefined) return get.made;
    }
    // Each option of the route read once, named under the route (`config.rateLimit.key`) when its reading throws.
    const own = snapshotOptions(config, [...httpAndLimiterNames(this.adapterNames), ...ROUTE_OPTIONS.names], path);
    const merged = routeOptions(this.plugin, this.pluginLimiter, own, shape, this.adapterNames, this.pluginPlans, path);
    const core = routeCore(() => createHttpLimiter<Req, Res>(merged, this.framework, this.adapterNames), own, path);
    this.checkGroup(own.groupId, bucketsOf(core), shape.label ?? `${methods.join(',')} ${shape.url}`, path);
    const limiter = { methods, where, made: this.make(core, merged, path) };
    made.push(limiter);
    return limiter.made;
  }

  private checkGroup(groupId: unknown, buckets: ReadonlyMap<string, RateLimiter>, route: string, path: string): void {
    if (typeof groupId !== 'string') return;
    const first = this.groups.get(groupId);
    if (first === undefined) {
      this.groups.set(groupId, { buckets, route });
      return;
    }
    const difference = bucketDifference(first.buckets, buckets);
    if (difference !== undefined) {
      throw new SluiceConfigError(
        `${path}.groupId`,
        groupId,
        `is used by ${first.route} and by ${route === first.route ? 'another' : route} with ${difference}: the routes of one group share their buckets, so they need the same limits, plans, blockDuration, clock, prefix and store`,
      );
    }
  }
}
