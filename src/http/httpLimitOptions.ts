/**
 * The options the Express middleware and the Fastify plugin share, and their validation: everything is
 * checked once, at construction, so the per-request path re-validates nothing.
 */
import type { Decision } from '../core/decision.js';
import { SluiceConfigError } from '../core/errors.js';
import { declareOptions, type OptionReader, type ReadOptions } from '../core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../core/peerOptionNames.js';
import type { Cost } from '../limiter/callCost.js';
import { RATE_LIMITER_OPTION_NAMES, type RateLimiterOptions } from '../limiter/limiterOptions.js';
import { RateLimiter } from '../limiter/rateLimiter.js';
import { readAllowList } from './allowList.js';
import type { Awaitable } from './callbackResults.js';
import { type DelayOptions, type ResolvedDelay, readDelay } from './delay.js';
import { type HeadersMode, readHeadersMode } from './headers.js';
import { type PlanChoice, readPlan, readPlans, resolvePlans } from './plans.js';
import type { FinalCost } from './settlement.js';

/**
 * The HTTP part of the options: how a request maps to a call, and what the response says. Every callback
 * may return its value or a promise of it; a callback that throws or rejects sends the request to the
 * framework's error handler (Express `next(err)`, Fastify's error handler).
 */
export interface HttpOptions<Req, Res> {
  /**
   * The client key. Default: the client IP as the framework resolves it (Express `req.ip` with
   * `trust proxy`, Fastify `request.ip` with `trustProxy`), without a port, IPv6 grouped by `ipv6Subnet`.
   * A function must return a non-empty string or a finite number (used as its decimal string); anything
   * else (undefined, null, '', NaN, an object) is a SluiceArgumentError for the error handler.
   */
  key?: (req: Req) => Awaitable<string | number>;
  /**
   * Tokens a request takes: a whole number ≥ 0, an object of them by band name (a limiter with named
   * `limits`), or a function of the request returning either. Default 1.
   */
  cost?: Cost | ((req: Req) => Awaitable<Cost>);
  /** Requests for which this returns true are not limited (and get no headers). */
  skip?: (req: Req) => Awaitable<boolean>;
  /** Client IPs or CIDR ranges (`'10.0.0.0/8'`, `'2001:db8::/32'`) that are never limited, or a function of the request. */
  allowList?: readonly string[] | ((req: Req) => Awaitable<boolean>);
  /** Prefix length that IPv6 client addresses are grouped by in the default key; false keys on the full address. Default 56. */
  ipv6Subnet?: number | false;
  /** Which rate-limit headers to send: `'draft-8'` (default), `'legacy'`, `'both'` or false. `Retry-After` is always sent on a refusal. */
  headers?: HeadersMode;
  /** Status of a refusal. Default 429. */
  statusCode?: number;
  /** Body of a refusal: a string, an object (sent as JSON) or a function of the request and decision. Default `{ error: 'Too Many Requests', retryAfter }`. */
  message?: string | Record<string, unknown> | ((req: Req, decision: Decision) => Awaitable<string | Record<string, unknown>>);
  /**
   * Replaces the default refusal: it must send the response itself. Headers and `Retry-After` are already
   * set. A promise it returns is awaited, so its rejection reaches the error handler.
   */
  onLimited?: (req: Req, res: Res, decision: Decision) => unknown;
  /**
   * Called with every decision (after the headers are set), for logging and metrics. A promise it returns
   * is awaited before the request goes on; if it sends a response itself, the adapter leaves the request there.
   */
  onDecision?: (req: Req, decision: Decision, key: string) => unknown;
  /** One-time warnings about proxy setup and double counting. Default true. */
  warnings?: boolean;
  /**
   * Delay instead of refusing: a request over the limit is held until its tokens are due (at most
   * `maxWaitMs`) and then let through, with the headers of that final decision; at most `maxHeld` (default
   * 1000) held at once, beyond which (or beyond `maxWaitMs`) the normal refusal is sent. A client that
   * disconnects while held gives its reservation back.
   */
  delay?: DelayOptions;
  /**
   * What a request finally costs, decided once its response is over: called once for each request that
   * took tokens, with `{ finished: true }` when the response was sent in full, `{ finished: false }` when
   * the connection closed first. The difference from the cost taken up front is charged (more) or refunded
   * (less). `(req, res) => (res.statusCode < 400 ? 0 : 1)` counts only failed requests (express-rate-limit's
   * `skipSuccessfulRequests`). A throw, a rejection or an unusable cost is reported (warning
   * SLUICE_FINAL_COST_FAILED) and charges nothing extra.
   */
  finalCost?: FinalCost<Req, Res>;
  /**
   * The response to a refusal while the key is blocked (`decision.blocked`: after `blockDuration`, or a
   * charge beyond the bucket), e.g. `{ statusCode: 403 }` as @fastify/rate-limit's `ban`. Status default
   * 403; body default `{ error: 'Blocked', retryAfter }`. Without it, a blocked key gets the normal refusal.
   */
  blocked?: BlockedResponse<Req>;
}

/** The `blocked` option: the status and body of a refusal while the key is blocked. */
export interface BlockedResponse<Req> {
  statusCode?: number;
  message?: string | Record<string, unknown> | ((req: Req, decision: Decision) => Awaitable<string | Record<string, unknown>>);
}

/** No inline limit option: beside a ready `limiter`, every one must be absent. */
export type NoInlineLimit = { [K in keyof RateLimiterOptions | 'limits']?: undefined };

/** No plan option: beside a `limiter` or inline limits. */
export type NoPlans = { plans?: undefined; plan?: undefined };

/**
 * Either a ready `limiter` (e.g. on a Redis store), the options of a new one inline, or `plans` with a
 * `plan` function choosing one per request.
 */
export type LimiterChoice<Req = unknown> =
  | ({ limiter: RateLimiter } & NoInlineLimit & NoPlans)
  | (RateLimiterOptions & { limiter?: undefined } & NoPlans)
  | (PlanChoice<Req> & { limiter?: undefined } & NoLimit & Partial<Omit<RateLimiterOptions, LimitName>>);

type LimitName = 'capacity' | 'refillRate' | 'interval' | 'name' | 'limits';
/** No limit option (the limits come from the plans); the other limiter options are shared by plans given as options. */
type NoLimit = { [K in LimitName]?: undefined };

/** The options of `rateLimit()` (Express) and of the Fastify plugin. */
export type HttpLimitOptions<Req, Res> = HttpOptions<Req, Res> & LimiterChoice<Req>;

/** An optional callback: a function or undefined. */
function optionalFunction<F>(): OptionReader<F | undefined> {
  return (value, path) => {
    if (value !== undefined && typeof value !== 'function') throw new SluiceConfigError(path, value, 'must be a function');
    return value as F | undefined;
  };
}

/** A refusal's status: an HTTP error status. */
function readStatus(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 400 || value > 599) {
    throw new SluiceConfigError(path, value, 'must be an HTTP error status from 400 to 599');
  }
  return value;
}

/** A refusal's body: a string, an object or a function. */
function readMessage(value: unknown, path: string): unknown {
  if (value !== undefined && typeof value !== 'string' && typeof value !== 'function' && (value === null || typeof value !== 'object')) {
    throw new SluiceConfigError(path, value, 'must be a string, an object (sent as JSON) or a function (req, decision) => body');
  }
  return value;
}

/** The HTTP options of the Express middleware and the Fastify plugin, declared once: name → reader (type, default, check). */
const HTTP_OPTIONS = declareOptions(
  {
    limiter: (value, path): RateLimiter | undefined => {
      if (value !== undefined && !(value instanceof RateLimiter)) throw new SluiceConfigError(path, value, 'must be a RateLimiter');
      return value;
    },
    key: optionalFunction<(req: never) => unknown>(),
    cost: (value = 1, path): Cost | ((req: never) => unknown) => {
      if (typeof value === 'function') return value as (req: never) => unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Cost;
      if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
        throw new SluiceConfigError(
          path,
          value,
          'must be a finite number ≥ 0 or a function (req) => cost, or an object of numbers by band name',
        );
      }
      return value;
    },
    skip: optionalFunction<(req: never) => unknown>(),
    allowList: readAllowList,
    ipv6Subnet: (value = 56, path): number | false => {
      if (value !== false && (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 128)) {
        throw new SluiceConfigError(path, value, 'must be a prefix length from 1 to 128, or false');
      }
      return value;
    },
    headers: readHeadersMode,
    statusCode: (value = 429, path) => readStatus(value, path),
    message: readMessage,
    onLimited: optionalFunction<(req: never, res: never, decision: Decision) => unknown>(),
    onDecision: optionalFunction<(req: never, decision: Decision, key: string) => unknown>(),
    warnings: (value = true, path): boolean => {
      if (typeof value !== 'boolean') throw new SluiceConfigError(path, value, 'must be true or false');
      return value;
    },
    delay: readDelay,
    plans: readPlans,
    plan: readPlan,
    finalCost: optionalFunction<(req: never, res: never, outcome: never) => unknown>(),
    blocked: (value, path): { statusCode: number; message: unknown } | undefined => {
      if (value === undefined) return undefined;
      if (value === null || typeof value !== 'object')
        throw new SluiceConfigError(path, value, 'must be an object { statusCode, message }');
      const { statusCode = 403, message, ...rest } = value as Record<string, unknown>;
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined)
        throw new SluiceConfigError(`${path}.${unknown}`, rest[unknown], 'is not an option of `blocked` (statusCode, message)');
      return { statusCode: readStatus(statusCode, `${path}.statusCode`), message: readMessage(message, `${path}.message`) };
    },
  },
  PEER_OPTION_NAMES,
);

/** The HTTP option names, from their declaration. */
export const HTTP_OPTION_NAMES: readonly string[] = HTTP_OPTIONS.names;

/** Option names the adapters take beside the limiter's: the HTTP options. */
export function httpAndLimiterNames(extraNames: readonly string[] = []): string[] {
  return [...HTTP_OPTION_NAMES, ...RATE_LIMITER_OPTION_NAMES, ...extraNames];
}

type Read = ReadOptions<typeof HTTP_OPTIONS.schema>;

/** The options after validation, with defaults filled in. */
export interface ResolvedHttpOptions<Req, Res> {
  readonly limiter: RateLimiter;
  readonly key: ((req: Req) => unknown) | undefined;
  readonly cost: Cost | ((req: Req) => unknown);
  readonly skip: ((req: Req) => unknown) | undefined;
  /** Client IP ranges of `allowList`. */
  readonly allowRanges: Read['allowList']['ranges'];
  /** Keys of `allowList`, matched against the request's key. */
  readonly allowKeys: Read['allowList']['keys'];
  readonly allowFunction: ((req: Req) => unknown) | undefined;
  readonly ipv6Subnet: number | false;
  readonly headers: HeadersMode;
  readonly statusCode: number;
  readonly message: HttpOptions<Req, Res>['message'];
  readonly onLimited: HttpOptions<Req, Res>['onLimited'];
  readonly onDecision: HttpOptions<Req, Res>['onDecision'];
  readonly warnings: boolean;
  /** The `delay` option, or undefined when over-limit requests are refused at once. */
  readonly delay: ResolvedDelay | undefined;
  /** The plans' limiters by name (`limiter` is then the first), or undefined without plans. */
  readonly plans: ReadonlyMap<string, RateLimiter> | undefined;
  readonly plan: ((req: Req) => unknown) | undefined;
  readonly finalCost: FinalCost<Req, Res> | undefined;
  /** The refusal while blocked (status and body), or undefined for the normal refusal. */
  readonly blocked: { readonly statusCode: number; readonly message: HttpOptions<Req, Res>['message'] } | undefined;
}

/** Builds the limiter from the inline limiter options, unless a ready one was passed. */
function resolveLimiter(options: Record<string, unknown>, ready: RateLimiter | undefined): RateLimiter {
  const inline: Record<string, unknown> = {};
  let any = false;
  for (const name of RATE_LIMITER_OPTION_NAMES) {
    if (options[name] !== undefined) {
      inline[name] = options[name];
      any = true;
    }
  }
  if (ready !== undefined) {
    if (any) {
      const name = Object.keys(inline)[0] as string;
      throw new SluiceConfigError(name, inline[name], 'cannot be combined with `limiter`; set it on the RateLimiter instead');
    }
    return ready;
  }
  if (!any) {
    throw new SluiceConfigError(
      'limiter',
      undefined,
      'or the limit options (e.g. { capacity: 20, refillRate: 100, interval: "1m" }) must be given',
    );
  }
  return new RateLimiter(inline as unknown as RateLimiterOptions);
}

/**
 * Validates adapter options and fills in defaults. `extraNames` are adapter-specific option names that
 * the adapter reads itself (e.g. Fastify's `hook`). Throws one SluiceConfigError for all unknown names (a
 * peer library's option name is answered with the sluice option to use), or for the first unusable value.
 */
export function resolveHttpOptions<Req, Res>(options: unknown, extraNames: readonly string[] = []): ResolvedHttpOptions<Req, Res> {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('options', options, 'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }');
  }
  const raw = options as Record<string, unknown>;
  HTTP_OPTIONS.rejectUnknown(raw, '', [...RATE_LIMITER_OPTION_NAMES, ...extraNames]);
  // The limiter first: its own errors (and a missing limit) come before the HTTP options'.
  const ready = HTTP_OPTIONS.schema.limiter(raw.limiter, 'limiter');
  const plans = raw.plans === undefined && raw.plan === undefined ? undefined : resolvePlans(raw, ready);
  const limiter = plans === undefined ? resolveLimiter(raw, ready) : (plans.values().next().value as RateLimiter);
  const read = HTTP_OPTIONS.read(raw, '', [...RATE_LIMITER_OPTION_NAMES, ...extraNames]);
  const { cost } = read;
  for (const chosen of plans?.values() ?? [limiter]) {
    if (typeof cost === 'number' && cost > Math.min(...chosen.limits.map((band) => band.capacity))) {
      throw new SluiceConfigError('cost', cost, 'must be at most the capacity, or no request could ever pass');
    }
  }
  return {
    limiter,
    key: read.key as ((req: Req) => unknown) | undefined,
    cost: cost as Cost | ((req: Req) => unknown),
    skip: read.skip as ((req: Req) => unknown) | undefined,
    allowRanges: read.allowList.ranges,
    allowKeys: read.allowList.keys,
    allowFunction: read.allowList.allows as ((req: Req) => unknown) | undefined,
    ipv6Subnet: read.ipv6Subnet,
    headers: read.headers,
    statusCode: read.statusCode,
    message: read.message as HttpOptions<Req, Res>['message'],
    onLimited: read.onLimited as HttpOptions<Req, Res>['onLimited'],
    onDecision: read.onDecision as HttpOptions<Req, Res>['onDecision'],
    warnings: read.warnings,
    delay: read.delay,
    plans,
    plan: read.plan as ((req: Req) => unknown) | undefined,
    finalCost: read.finalCost as FinalCost<Req, Res> | undefined,
    blocked: read.blocked as ResolvedHttpOptions<Req, Res>['blocked'],
  };
}
