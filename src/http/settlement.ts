/**
 * Settling a request's cost after its response (the HTTP `finalCost` option): the tokens taken up front are
 * an estimate, and once the response is over `finalCost` says what the request finally costs; the
 * difference is charged (more) or refunded (less) on the same key. This is express-rate-limit's
 * `skipSuccessfulRequests` / `skipFailedRequests` (a final cost of 0 for the requests not to count) and the
 * estimate-then-settle of model-token APIs.
 *
 * It runs once per request that took tokens, whichever way the response ends: Node emits 'finish' when the
 * response was sent in full and 'close' on every response (after 'finish', or alone when the connection
 * closed first), so the first of the two settles and the other is ignored. A callback that throws or
 * rejects, an unusable final cost, and a store failure are reported (warning SLUICE_FINAL_COST_FAILED) and
 * charge nothing extra; none reaches the request or the process.
 */
import type { ServerResponse } from 'node:http';
import { describeValue } from '../core/errors.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';
import { asError, isThenable } from './callbackResults.js';
import type { CountedMark } from './countedRequests.js';
import { warnOnce } from './warnings.js';

/** How the response ended: `finished` when it was sent in full, false when the connection closed first. */
export interface ResponseOutcome {
  readonly finished: boolean;
}

/** The `finalCost` option: what a request finally costs, from its finished (or abandoned) response. */
export type FinalCost<Req, Res> = (req: Req, res: Res, outcome: ResponseOutcome) => Cost | PromiseLike<Cost>;

/** The difference between the cost taken and the final one: what to charge and what to refund (either may be absent). */
export interface CostDifference {
  readonly charge: Cost | undefined;
  readonly refund: Cost | undefined;
}

/** A whole number of tokens ≥ 0. */
function isTokens(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * What to charge and refund to go from `taken` to `final` on a limiter with these band names (in band
 * order). A number is the same in every band; an object must give every band a whole number ≥ 0 and name
 * no other. Returns a string saying what is wrong with `final` instead, when it is unusable.
 */
export function costDifference(bandNames: readonly (string | undefined)[], taken: Cost, final: unknown): CostDifference | string {
  if (typeof final === 'number' && typeof taken === 'number') {
    if (!isTokens(final)) return `must be a whole number of tokens ≥ 0; got ${describeValue(final)}`;
    const difference = final - taken;
    return { charge: difference > 0 ? difference : undefined, refund: difference < 0 ? -difference : undefined };
  }
  if (typeof final !== 'number' && (final === null || typeof final !== 'object')) {
    return `must be a whole number of tokens ≥ 0, or an object of them by band name; got ${describeValue(final)}`;
  }
  const finalByBand = final as Readonly<Record<string, unknown>>;
  if (typeof final === 'object') {
    for (const name of Object.keys(finalByBand)) {
      if (!bandNames.includes(name)) return `names no band of the limiter: ${describeValue(name)}`;
    }
  }
  const charge: Record<string, number> = {};
  const refund: Record<string, number> = {};
  let charged = false;
  let refunded = false;
  for (const name of bandNames) {
    if (name === undefined) return 'is an object, but the limiter has a band without a name';
    const part = typeof final === 'number' ? final : finalByBand[name];
    if (!isTokens(part)) return `must give band ${describeValue(name)} a whole number of tokens ≥ 0; got ${describeValue(part)}`;
    const before = typeof taken === 'number' ? taken : (taken[name] ?? 0);
    charge[name] = Math.max(0, part - before);
    refund[name] = Math.max(0, before - part);
    charged ||= (charge[name] as number) > 0;
    refunded ||= (refund[name] as number) > 0;
  }
  return { charge: charged ? charge : undefined, refund: refunded ? refund : undefined };
}

/** Settles the cost of the requests one limiter let through. */
export class Settlement<Req, Res> {
  private readonly bandNames: readonly (string | undefined)[];

  constructor(
    private readonly limiter: RateLimiter,
    private readonly finalCost: FinalCost<Req, Res>,
  ) {
    this.bandNames = limiter.limits.map((band) => band.name);
  }

  /** Arranges for the request's cost to be settled once, when its response (`response`, Node's) finishes or closes. */
  watch(req: Req, res: Res, response: ServerResponse, mark: CountedMark): void {
    let settled = false;
    const settle = (finished: boolean) => {
      if (settled) return;
      settled = true;
      response.off('finish', onFinish);
      response.off('close', onClose);
      this.settle(req, res, mark, finished);
    };
    const onFinish = () => settle(true);
    const onClose = () => settle(response.writableFinished);
    if (response.writableFinished || response.destroyed) {
      settle(response.writableFinished);
      return;
    }
    response.once('finish', onFinish);
    response.once('close', onClose);
  }

  // Every step that touches the callback's value (calling it, reading `then`, its keys and parts) runs
  // inside a guard: this runs in a 'finish'/'close' listener or a promise callback, where a throw would
  // take down the process or end in an unhandled rejection.
  private settle(req: Req, res: Res, mark: CountedMark, finished: boolean): void {
    let final: unknown;
    try {
      final = this.finalCost(req, res, { finished });
    } catch (error) {
      report('threw', error);
      return;
    }
    if (!isThenable(final)) {
      this.apply(mark, final);
      return;
    }
    // Only the first settlement counts, as with `await`: a thenable that calls back more than once (or throws
    // after settling) must not settle the request twice. A `then` that throws before settling is a throw.
    let settledOnce = false;
    const once =
      <A>(run: (value: A) => void) =>
      (value: A): void => {
        if (settledOnce) return;
        settledOnce = true;
        run(value);
      };
    try {
      final.then(
        once((value) => this.apply(mark, value)),
        once((error) => report('rejected', error)),
      );
    } catch (error) {
      once((thrown) => report('threw', thrown))(error);
    }
  }

  private apply(mark: CountedMark, final: unknown): void {
    let difference: CostDifference | string;
    try {
      difference = costDifference(this.bandNames, mark.cost, final);
    } catch (error) {
      report('read', error);
      return;
    }
    if (typeof difference === 'string') {
      warnOnce('SLUICE_FINAL_COST_FAILED', `It returned a final cost that ${difference}.`);
      return;
    }
    // Two calls only when some bands cost more and others less than taken; each is atomic over its bands.
    if (difference.charge !== undefined) this.limiter.charge(mark.key, difference.charge).catch((error) => report('charge', error));
    if (difference.refund !== undefined) this.limiter.refund(mark.key, difference.refund).catch((error) => report('refund', error));
  }
}

function report(what: 'threw' | 'rejected' | 'read' | 'charge' | 'refund', error: unknown): void {
  const message = messageOf(error);
  const detail =
    what === 'threw' || what === 'rejected'
      ? `It ${what}: ${message}`
      : what === 'read'
        ? `Reading the final cost it returned threw: ${message}`
        : `The ${what} failed: ${message}`;
  warnOnce('SLUICE_FINAL_COST_FAILED', detail);
}

/**
 * The message of what was thrown, with its `cause`'s after a colon when that is an Error (a store failure's own
 * error, under the limiter's SluiceStoreError); never throws itself (a proxy whose traps throw, a throwing getter).
 */
function messageOf(error: unknown): string {
  const described = asError(error);
  try {
    if (described !== error) return describeValue(error);
    const message = String((described as Error).message);
    const cause: unknown = (described as Error).cause;
    return cause instanceof Error ? `${message}: ${String(cause.message)}` : message;
  } catch {
    return describeValue(error);
  }
}
