/**
 * The types of the options the Express middleware and the Fastify plugin share: what a user writes.
 * Their declaration and validation are in httpLimitOptions.ts.
 */
import type { Decision } from '../core/decision.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiterOptions } from '../limiter/limiterOptions.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';
import type { Awaitable } from './callbackResults.js';
import type { DelayOptions } from './delay.js';
import type { HeadersMode } from './headers.js';
import type { PlanChoice } from './plans.js';
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
  /**
   * Body of a refusal: a string, a Buffer, an object (sent as JSON; one that cannot be serialised is a
   * SluiceConfigError at construction) or a function of the request and decision returning one (anything else it
   * returns is a SluiceArgumentError for the error handler). Default `{ error: 'Too Many Requests', retryAfter }`.
   */
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
   * 1000) held at once per limiter (over every middleware and route using it), beyond which (or beyond
   * `maxWaitMs`) the normal refusal is sent.
   * A client that disconnects while held gives its reservation back.
   */
  delay?: DelayOptions;
  /**
   * What a request finally costs, decided once its response is over: called once for each request that
   * took tokens, with `{ finished: true }` when the response was sent in full, `{ finished: false }` when
   * the connection closed first. The difference from the cost taken up front is charged (more) or refunded
   * (less). `(req, res, { finished }) => (finished && res.statusCode < 400 ? 0 : 1)` counts only failed requests
   * (express-rate-limit's `skipSuccessfulRequests`, which refunds only on 'finish': a client that disconnects
   * before its response, still 200 by default, stays counted). A throw, a rejection or an unusable cost is reported (warning
   * SLUICE_FINAL_COST_FAILED) and charges nothing extra.
   */
  finalCost?: FinalCost<Req, Res>;
  /**
   * The response to a refusal while the key is blocked (`decision.blocked`: a refusal by a limiter with
   * `blockDuration`; a refusal in a charge's debt is a normal refusal), e.g. `{ statusCode: 403 }` as @fastify/rate-limit's `ban`. Status default
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
