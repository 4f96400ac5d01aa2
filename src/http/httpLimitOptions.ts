/**
 * The options the Express middleware and the Fastify plugin share, and their validation: everything is
 * checked once, at construction, so the per-request path re-validates nothing.
 */
import type { Decision } from '../core/decision.js';
import { SluiceConfigError } from '../core/errors.js';
import { declareOptions, type OptionReader, type ReadOptions } from '../core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../core/peerOptionNames.js';
import { readOption } from '../core/unreadableArgument.js';
import type { Cost } from '../limiter/callCost.js';
import { RATE_LIMITER_OPTION_NAMES, type RateLimiterOptions } from '../limiter/limiterOptions.js';
import { RateLimiter } from '../limiter/rateLimiter.js';
import { readAllowList } from './allowList.js';
import { type ResolvedDelay, readDelay } from './delay.js';
import { type HeadersMode, readHeadersMode } from './headers.js';
import { snapshotOptions } from './optionsSnapshot.js';
import { readPlan, readPlans, resolvePlans } from './plans.js';
import { BODY_EXPECTED, unsendableReason } from './refusalBody.js';
import type { FinalCost } from './settlement.js';
import { checkStaticCost } from './staticCost.js';

export type { BlockedResponse, HttpLimitOptions, HttpOptions, LimiterChoice, NoInlineLimit, NoPlans } from './httpOptionTypes.js';

import type { HttpOptions } from './httpOptionTypes.js';

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

/**
 * A refusal's body: a string, an object (a Buffer as it is, else sent as JSON, so it must serialise: checked
 * here, once, rather than failing on every refusal) or a function.
 */
function readMessage(value: unknown, path: string): unknown {
  if (value !== undefined && typeof value !== 'string' && typeof value !== 'function' && (value === null || typeof value !== 'object')) {
    throw new SluiceConfigError(path, value, 'must be a string, an object (sent as JSON) or a function (req, decision) => body');
  }
  const reason = typeof value === 'object' ? unsendableReason(value) : undefined;
  if (reason !== undefined) {
    throw new SluiceConfigError(
      path,
      value,
      `must be ${BODY_EXPECTED} (or a function (req, decision) => body), and this object cannot be serialised (${reason})`,
    );
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
export function httpAndLimiterNames(extraNames: readonly string[]): string[] {
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

/** Builds the limiter from the inline limiter options (of the snapshot), unless a ready one was passed. */
function resolveLimiter(options: Record<string, unknown>, ready: RateLimiter | undefined): RateLimiter {
  const inline: Record<string, unknown> = {};
  let any = false;
  for (const name of RATE_LIMITER_OPTION_NAMES) {
    const value = options[name];
    if (value !== undefined) {
      inline[name] = value;
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
 * The adapter options as a plain object, each option read once (see snapshotOptions): what the options are
 * resolved from, and what a plan's core is built from. Throws a SluiceConfigError naming `options` when it is not
 * an object or its keys cannot be listed, or the option whose reading throws.
 */
export function httpOptionsSnapshot(options: unknown, extraNames: readonly string[]): Record<string, unknown> {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('options', options, 'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }');
  }
  return snapshotOptions(options, httpAndLimiterNames(extraNames));
}

/**
 * Validates adapter options and fills in defaults. `extraNames` are adapter-specific option names that
 * the adapter reads itself (e.g. Fastify's `hook`). Throws one SluiceConfigError for all unknown names (a
 * peer library's option name is answered with the sluice option to use), or for the first unusable value; an
 * option whose reading throws is named (`blocked`, `plans.free`), the whole `options` only when its keys cannot
 * be listed. Anything else thrown while building the limiter (a store's own error) goes on as it is.
 */
export function resolveHttpOptions<Req, Res>(options: unknown, extraNames: readonly string[] = []): ResolvedHttpOptions<Req, Res> {
  const raw = httpOptionsSnapshot(options, extraNames);
  HTTP_OPTIONS.rejectUnknown(raw, '', [...RATE_LIMITER_OPTION_NAMES, ...extraNames]);
  // The limiter first: its own errors (and a missing limit) come before the HTTP options'.
  const ready = readOption('limiter', raw.limiter, () => HTTP_OPTIONS.schema.limiter(raw.limiter, 'limiter'));
  const plans = raw.plans === undefined && raw.plan === undefined ? undefined : resolvePlans(raw, ready);
  const limiter = plans === undefined ? resolveLimiter(raw, ready) : (plans.values().next().value as RateLimiter);
  const read = HTTP_OPTIONS.read(raw, '', [...RATE_LIMITER_OPTION_NAMES, ...extraNames]);
  const { cost } = read;
  const chosen: Iterable<[string | undefined, RateLimiter]> = plans ?? [[undefined, limiter]];
  for (const [plan, one] of chosen) {
    // A limiter given ready (or a plan's) whose limits cannot be read is named: it is that option's value.
    const capacities = readOption(plan === undefined ? 'limiter' : `plans.${plan}`, one, () => one.limits.map((band) => band.capacity));
    if (typeof cost === 'number' && cost > Math.min(...capacities)) {
      throw new SluiceConfigError('cost', cost, 'must be at most the capacity, or no request could ever pass');
    }
  }
  if (typeof cost !== 'function') readOption('cost', cost, () => checkStaticCost(cost, chosen));
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
