/**
 * Plans (tiers): a few named limiters, one chosen per request by `plan(req)`, so each client gets the limits
 * of its plan (free, paid...) exactly, each plan in its own namespace. The options side: reading `plans` and
 * `plan`, and building the plans' limiters once, at construction.
 */
import { SluiceConfigError } from '../core/errors.js';
import { readOption } from '../core/unreadableArgument.js';
import {
  LIMIT_OPTION_NAMES,
  RATE_LIMITER_OPTION_NAMES,
  type RateLimiterOptions,
  SHARED_LIMITER_OPTION_NAMES,
} from '../limiter/limiterOptions.js';
import { RateLimiter } from '../limiter/rateLimiter.js';
import type { Awaitable } from './callbackResults.js';
import { underOption } from './optionPathPrefix.js';
import { snapshotOptions } from './optionsSnapshot.js';

/** `plans` with the `plan` function choosing one per request (instead of `limiter` or inline limits). */
export interface PlanChoice<Req> {
  /**
   * The plans by name: a ready RateLimiter, or the options of a new one. A plan given as options shares
   * the top-level `store`, `clock`, `timeoutMs`, `onStoreError` and `onDegraded`, and its buckets live
   * under `<prefix>plan:<name>:` unless it sets a `prefix` of its own.
   */
  plans: Readonly<Record<string, RateLimiter | RateLimiterOptions>>;
  /** The plan of a request: one of the names of `plans` (another name is an error for the error handler). */
  plan: (req: Req) => Awaitable<string>;
}

/**
 * Reads `plans`: an object of at least one plan, each a RateLimiter or an options object. Returns a copy without a
 * prototype, each plan read once; a plan whose reading throws is named `plans.<name>`, the object `plans` when its
 * keys cannot be listed.
 */
export function readPlans(value: unknown, path: string): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  const names = readOption(path, value, () => {
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof RateLimiter) {
      throw new SluiceConfigError(path, value, 'must be an object of named plans, e.g. { free: { capacity: 10, ... }, paid: limiter }');
    }
    return Object.keys(value);
  });
  if (names.length === 0) throw new SluiceConfigError(path, value, 'must name at least one plan');
  // No prototype, so a plan named `__proto__` is a plan like any other.
  const plans: Record<string, unknown> = Object.create(null);
  for (const name of names) {
    const plan = readOption(`${path}.${name}`, value, () => (value as Record<string, unknown>)[name]);
    if (plan === null || typeof plan !== 'object') {
      throw new SluiceConfigError(`${path}.${name}`, plan, 'must be a RateLimiter or the options of one');
    }
    plans[name] = plan;
  }
  return plans;
}

/** Reads `plan`: a function of the request. */
export function readPlan(value: unknown, path: string): ((req: never) => unknown) | undefined {
  if (value !== undefined && typeof value !== 'function') throw new SluiceConfigError(path, value, 'must be a function (req) => plan name');
  return value as ((req: never) => unknown) | undefined;
}

/**
 * The plans' limiters, by name, in the order given. Throws a SluiceConfigError when `plans` comes without
 * `plan` (or the reverse), beside `limiter` or a limit option, or when a plan's options are unusable (named
 * `plans.<name>.<option>`).
 */
export function resolvePlans(options: Readonly<Record<string, unknown>>, ready: RateLimiter | undefined): Map<string, RateLimiter> {
  const plans = readPlans(options.plans, 'plans');
  readPlan(options.plan, 'plan');
  if (plans === undefined) throw new SluiceConfigError('plans', undefined, 'must be given with `plan` (the limiters to choose from)');
  if (options.plan === undefined)
    throw new SluiceConfigError('plan', undefined, 'must be given with `plans`: a function (req) => plan name');
  if (ready !== undefined) throw new SluiceConfigError('limiter', ready, 'cannot be combined with `plans`; make it one of the plans');
  for (const name of [...LIMIT_OPTION_NAMES, 'limits']) {
    if (options[name] !== undefined) {
      throw new SluiceConfigError(name, options[name], 'cannot be combined with `plans`; give each plan its own limits');
    }
  }
  const prefix = typeof options.prefix === 'string' ? options.prefix : 'sl:';
  const shared: Record<string, unknown> = {};
  for (const name of SHARED_LIMITER_OPTION_NAMES) if (options[name] !== undefined) shared[name] = options[name];
  const limiters = new Map<string, RateLimiter>();
  for (const [name, plan] of Object.entries(plans)) {
    const path = `plans.${name}`;
    if (readOption(path, plan, () => plan instanceof RateLimiter)) {
      limiters.set(name, plan as RateLimiter);
      continue;
    }
    const own = snapshotOptions(plan as object, RATE_LIMITER_OPTION_NAMES, path);
    try {
      limiters.set(name, new RateLimiter({ ...shared, prefix: `${prefix}plan:${name}:`, ...own } as RateLimiterOptions));
    } catch (error) {
      if (error instanceof SluiceConfigError) throw underOption(error, path);
      throw error;
    }
  }
  return limiters;
}
