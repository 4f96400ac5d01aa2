/**
 * Builds the HTTP core for a set of options: one `HttpLimiter`, or with `plans`, one per plan behind a
 * dispatcher that asks `plan(req)` which one counts the request. A request on a limiter without plans runs
 * no dispatch code at all.
 */
import { SluiceArgumentError } from '../core/errors.js';
import { RATE_LIMITER_OPTION_NAMES } from '../limiter/limiterOptions.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';
import { asError, isThenable } from './callbackResults.js';
import type { HttpFramework, Next } from './httpFramework.js';
import { HttpLimiter } from './httpLimiter.js';
import { httpOptionsSnapshot, type ResolvedHttpOptions, resolveHttpOptions } from './httpLimitOptions.js';

/** What an adapter installs: it handles requests, and tells the limiter (the first plan's with plans) and the options. */
export interface RequestLimiter<Req extends object, Res> {
  readonly limiter: RateLimiter;
  readonly options: ResolvedHttpOptions<Req, Res>;
  handle(req: Req, res: Res, next: Next): void;
}

/** How many plan names the error for a name that is not a plan lists. */
const PLANS_NAMED = 10;

/** Dispatches each request to the HttpLimiter of its plan. */
export class PlannedHttpLimiter<Req extends object, Res> implements RequestLimiter<Req, Res> {
  readonly limiter: RateLimiter;
  private readonly byName = new Map<string, HttpLimiter<Req, Res>>();
  private readonly plan: (req: Req) => unknown;
  private readonly names: string;

  constructor(
    readonly options: ResolvedHttpOptions<Req, Res>,
    raw: Readonly<Record<string, unknown>>,
    private readonly framework: HttpFramework<Req, Res>,
    extraNames: readonly string[],
  ) {
    const plans = options.plans as ReadonlyMap<string, RateLimiter>;
    this.limiter = options.limiter;
    this.plan = options.plan as (req: Req) => unknown;
    // Each plan's core has the HTTP options as given, and the plan's limiter in place of the limit options.
    const httpOnly: Record<string, unknown> = { ...raw, plans: undefined, plan: undefined };
    for (const name of RATE_LIMITER_OPTION_NAMES) httpOnly[name] = undefined;
    for (const [name, limiter] of plans) {
      this.byName.set(name, new HttpLimiter<Req, Res>(resolveHttpOptions<Req, Res>({ ...httpOnly, limiter }, extraNames), framework));
    }
    // The first few, so that a wrong name costs a short message however many plans there are.
    const shown = [...plans.keys()].slice(0, PLANS_NAMED).map((name) => JSON.stringify(name));
    this.names = shown.join(', ') + (plans.size > PLANS_NAMED ? ` and ${plans.size - PLANS_NAMED} more` : '');
  }

  /** The core of each plan, by name. */
  get plans(): ReadonlyMap<string, HttpLimiter<Req, Res>> {
    return this.byName;
  }

  handle(req: Req, res: Res, next: Next): void {
    if (this.framework.responded(res)) return;
    let chosen: unknown;
    try {
      chosen = this.plan(req);
    } catch (error) {
      next(asError(error));
      return;
    }
    if (isThenable(chosen)) void this.dispatchLater(chosen, req, res, next);
    else this.dispatch(chosen, req, res, next);
  }

  /**
   * Dispatches on the plan a promise names. Awaited, not `.then()`-ed: a thenable that settles more than once
   * counts by its first settlement only, as every other callback's, so a request is never dispatched twice.
   */
  private async dispatchLater(pending: PromiseLike<unknown>, req: Req, res: Res, next: Next): Promise<void> {
    let name: unknown;
    try {
      name = await pending;
    } catch (error) {
      next(asError(error));
      return;
    }
    this.dispatch(name, req, res, next);
  }

  private dispatch(name: unknown, req: Req, res: Res, next: Next): void {
    const core = typeof name === 'string' ? this.byName.get(name) : undefined;
    if (core === undefined) next(new SluiceArgumentError('plan', name, `must return the name of a plan: ${this.names}`));
    else core.handle(req, res, next);
  }
}

/**
 * The core for `options`: an HttpLimiter, or a PlannedHttpLimiter with `plans`. Throws a SluiceConfigError
 * for bad options (see resolveHttpOptions).
 */
export function createHttpLimiter<Req extends object, Res>(
  options: unknown,
  framework: HttpFramework<Req, Res>,
  extraNames: readonly string[] = [],
): RequestLimiter<Req, Res> {
  // Read once: which core to build follows from the options as read, so the two can never disagree.
  const snapshot = httpOptionsSnapshot(options, extraNames);
  const resolved = resolveHttpOptions<Req, Res>(snapshot, extraNames);
  if (resolved.plans === undefined) return new HttpLimiter<Req, Res>(resolved, framework);
  return new PlannedHttpLimiter<Req, Res>(resolved, snapshot, framework, extraNames);
}
