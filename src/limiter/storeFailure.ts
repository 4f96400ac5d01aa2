import { type Decision, unknownStateDecision } from '../core/decision.js';
import { SluiceStoreError } from '../core/errors.js';
import type { Band, BandCosts } from '../core/gcra.js';
import { isThenable } from '../core/thenable.js';
import { largestPart } from './callCost.js';
import type { DegradedEvent, StoreErrorPolicy } from './limiterOptions.js';

/**
 * What answers a call when the store failed, threw, timed out or answered nonsense: the limiter's
 * `onStoreError` (allow, deny, throw, or a fallback limiter), with `onDegraded` told each time.
 */
export class StoreFailure {
  constructor(
    private readonly bands: readonly Band[],
    readonly policy: StoreErrorPolicy,
    private readonly onDegraded: ((event: DegradedEvent) => void) | undefined,
  ) {}

  /**
   * The answer for a failed call (`slackMs` as the store was given it: Infinity for a charge or a refund); rejects
   * with a SluiceStoreError under `'throw'`. A fallback limiter is asked for the call's largest part (a refund's: 0,
   * a look): a `consume` of at most its own largest cost, or for a charge or a refund, which are never refused, a
   * `charge` of at most its own largest charge (a `consume` on a copy of sluice without `charge`).
   */
  async answer(key: string, cost: BandCosts, error: unknown, slackMs = 0): Promise<Decision> {
    const policy = this.policy;
    if (typeof policy === 'object') {
      this.report(key, error, 'fallback');
      const decision = await (slackMs === Number.POSITIVE_INFINITY && policy.charge !== undefined
        ? policy.charge(key, fallbackCost(cost, policy.maxCharge as number))
        : policy.consume(key, fallbackCost(cost, policy.maxCost)));
      return { ...decision, degraded: true };
    }
    return this.answerSync(key, cost, error, slackMs);
  }

  /** `answer` without a promise (consumeSync, chargeSync, refundSync): a fallback limiter must then be synchronous too. */
  answerSync(key: string, cost: BandCosts, error: unknown, slackMs = 0): Decision {
    const policy = this.policy;
    if (typeof policy === 'object') {
      this.report(key, error, 'fallback');
      const decision =
        slackMs === Number.POSITIVE_INFINITY && policy.chargeSync !== undefined
          ? policy.chargeSync(key, fallbackCost(cost, policy.maxCharge as number))
          : policy.consumeSync(key, fallbackCost(cost, policy.maxCost));
      return { ...decision, degraded: true };
    }
    this.report(key, error, policy);
    if (policy === 'throw') {
      throw error instanceof SluiceStoreError ? error : new SluiceStoreError('sluice: the store failed', { cause: error });
    }
    // A charge or a refund is never refused, whatever the policy: `'deny'` refuses only calls that take tokens.
    return unknownStateDecision(this.bands, policy === 'allow' || slackMs === Number.POSITIVE_INFINITY, cost);
  }

  private report(key: string, error: unknown, policy: DegradedEvent['policy']): void {
    if (this.onDegraded === undefined) return;
    // A throwing or rejecting alert hook (an asynchronous metrics client) must not turn a degraded answer into a
    // crash: neither the throw nor an unhandled rejection of the promise it returns.
    try {
      const returned: unknown = this.onDegraded({ key, error, policy });
      if (isThenable(returned)) returned.then(undefined, ignore);
    } catch {
      // Ignored, as above.
    }
  }
}

function ignore(): void {}

function fallbackCost(cost: BandCosts, maxCost: number): number {
  return Math.min(Math.max(largestPart(cost), 0), maxCost);
}
