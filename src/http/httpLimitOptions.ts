/**
 * The options the Express middleware and the Fastify plugin share, and their validation: everything is
 * checked once, at construction, so the per-request path re-validates nothing.
 */
import type { Decision } from '../core/decision.js';
import { SluiceConfigError } from '../core/errors.js';
import { rejectUnknownOptions } from '../core/optionSchema.js';
import { RATE_LIMITER_OPTION_NAMES, type RateLimiterOptions } from '../limiter/limiterOptions.js';
import { RateLimiter } from '../limiter/rateLimiter.js';
import type { Awaitable } from './callbackResults.js';
import { HEADERS_MODES, type HeadersMode } from './headers.js';
import { IpRangeSet } from './ipRange.js';

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
  /** Tokens a request takes: a number, or a function of the request returning a finite number ≥ 0. Default 1. */
  cost?: number | ((req: Req) => Awaitable<number>);
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
}

/** No inline limit option: beside a ready `limiter`, every one must be absent. */
export type NoInlineLimit = { [K in keyof RateLimiterOptions | 'limits']?: undefined };

/** Either a ready `limiter` (e.g. on a Redis store) or the options of a new one, inline. */
export type LimiterChoice = ({ limiter: RateLimiter } & NoInlineLimit) | (RateLimiterOptions & { limiter?: undefined });

/** The options of `rateLimit()` (Express) and of the Fastify plugin. */
export type HttpLimitOptions<Req, Res> = HttpOptions<Req, Res> & LimiterChoice;

export const HTTP_OPTION_NAMES: readonly string[] = [
  'limiter',
  'key',
  'cost',
  'skip',
  'allowList',
  'ipv6Subnet',
  'headers',
  'statusCode',
  'message',
  'onLimited',
  'onDecision',
  'warnings',
];

/** The options after validation, with defaults filled in. */
export interface ResolvedHttpOptions<Req, Res> {
  readonly limiter: RateLimiter;
  readonly key: ((req: Req) => unknown) | undefined;
  readonly cost: number | ((req: Req) => unknown);
  readonly skip: ((req: Req) => unknown) | undefined;
  readonly allowRanges: IpRangeSet | undefined;
  readonly allowFunction: ((req: Req) => unknown) | undefined;
  readonly ipv6Subnet: number | false;
  readonly headers: HeadersMode;
  readonly statusCode: number;
  readonly message: HttpOptions<Req, Res>['message'];
  readonly onLimited: HttpOptions<Req, Res>['onLimited'];
  readonly onDecision: HttpOptions<Req, Res>['onDecision'];
  readonly warnings: boolean;
}

function optionalFunction<T>(options: Record<string, unknown>, name: string): T | undefined {
  const value = options[name];
  if (value !== undefined && typeof value !== 'function') throw new SluiceConfigError(name, value, 'must be a function');
  return value as T | undefined;
}

/** Splits the limiter options off and builds the limiter, unless a ready one was passed. */
function resolveLimiter(options: Record<string, unknown>): RateLimiter {
  const inline: Record<string, unknown> = {};
  let any = false;
  for (const name of RATE_LIMITER_OPTION_NAMES) {
    if (options[name] !== undefined) {
      inline[name] = options[name];
      any = true;
    }
  }
  const { limiter } = options;
  if (limiter !== undefined) {
    if (!(limiter instanceof RateLimiter)) throw new SluiceConfigError('limiter', limiter, 'must be a RateLimiter');
    if (any) {
      const name = Object.keys(inline)[0] as string;
      throw new SluiceConfigError(name, inline[name], 'cannot be combined with `limiter`; set it on the RateLimiter instead');
    }
    return limiter;
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
 * the adapter reads itself (e.g. Fastify's `hook`).
 */
export function resolveHttpOptions<Req, Res>(options: unknown, extraNames: readonly string[] = []): ResolvedHttpOptions<Req, Res> {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('options', options, 'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }');
  }
  const raw = options as Record<string, unknown>;
  rejectUnknownOptions(raw, [...HTTP_OPTION_NAMES, ...RATE_LIMITER_OPTION_NAMES, ...extraNames], '');
  const limiter = resolveLimiter(raw);

  const key = optionalFunction<(req: Req) => unknown>(raw, 'key');
  const skip = optionalFunction<(req: Req) => unknown>(raw, 'skip');
  const onLimited = optionalFunction<HttpOptions<Req, Res>['onLimited']>(raw, 'onLimited');
  const onDecision = optionalFunction<HttpOptions<Req, Res>['onDecision']>(raw, 'onDecision');

  const cost = raw.cost ?? 1;
  if (typeof cost !== 'function' && (typeof cost !== 'number' || !(cost >= 0) || !Number.isFinite(cost))) {
    throw new SluiceConfigError('cost', cost, 'must be a finite number ≥ 0 or a function (req) => number');
  }
  if (typeof cost === 'number' && cost > Math.min(...limiter.limits.map((band) => band.capacity))) {
    throw new SluiceConfigError('cost', cost, 'must be at most the capacity, or no request could ever pass');
  }

  const { allowList } = raw;
  let allowRanges: IpRangeSet | undefined;
  let allowFunction: ((req: Req) => unknown) | undefined;
  if (typeof allowList === 'function') allowFunction = allowList as (req: Req) => unknown;
  else if (Array.isArray(allowList)) allowRanges = allowList.length > 0 ? new IpRangeSet(allowList, 'allowList') : undefined;
  else if (allowList !== undefined) {
    throw new SluiceConfigError(
      'allowList',
      allowList,
      "must be an array of IPs or CIDR ranges (e.g. ['10.0.0.0/8']) or a function (req) => boolean",
    );
  }

  const ipv6Subnet = raw.ipv6Subnet ?? 56;
  if (ipv6Subnet !== false && (typeof ipv6Subnet !== 'number' || !Number.isInteger(ipv6Subnet) || ipv6Subnet < 1 || ipv6Subnet > 128)) {
    throw new SluiceConfigError('ipv6Subnet', ipv6Subnet, 'must be a prefix length from 1 to 128, or false');
  }

  const headers = raw.headers === undefined ? 'draft-8' : raw.headers;
  if (!HEADERS_MODES.includes(headers as HeadersMode)) {
    throw new SluiceConfigError('headers', headers, "must be 'draft-8', 'legacy', 'both' or false");
  }

  const statusCode = raw.statusCode ?? 429;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) {
    throw new SluiceConfigError('statusCode', statusCode, 'must be an HTTP error status from 400 to 599');
  }

  const { message } = raw;
  if (
    message !== undefined &&
    typeof message !== 'string' &&
    typeof message !== 'function' &&
    (message === null || typeof message !== 'object')
  ) {
    throw new SluiceConfigError('message', message, 'must be a string, an object (sent as JSON) or a function (req, decision) => body');
  }

  const warnings = raw.warnings ?? true;
  if (typeof warnings !== 'boolean') throw new SluiceConfigError('warnings', warnings, 'must be true or false');

  return {
    limiter,
    key,
    cost: cost as number | ((req: Req) => unknown),
    skip,
    allowRanges,
    allowFunction,
    ipv6Subnet,
    headers: headers as HeadersMode,
    statusCode,
    message: message as HttpOptions<Req, Res>['message'],
    onLimited,
    onDecision,
    warnings,
  };
}
