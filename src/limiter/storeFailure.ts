import { type Decision, unknownStateDecision } from '../core/decision.js';
import { SluiceStoreError } from '../core/errors.js';
import type { Band, BandCosts } from '../core/gcra.js';
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
   * The answer for a failed call; rejects with a SluiceStoreError under `'throw'`. A fallback limiter is asked
   * for the call's largest part (a refund's: 0, a look), at most its own largest cost.
   */
  async answer(key: string, cost: BandCosts, error: unknown): Promise<Decision> {
    const policy = this.policy;
    if (typeof policy === 'object') {
      this.report(key, error, 'fallback');
      const decision = await policy.consume(key, fallbackCost(cost, policy.maxCost));
      return { ...decision, degraded: true };
    }
    return this.answerSync(key, cost, error);
  }

  /** `answer` without a promise (consumeSync): a fallback limiter must then be synchronous too. */
  answerSync(key: string, cost: BandCosts, error: unknown): Decision {
    const policy = this.policy;
    if (typeof policy === 'object') {
      this.report(key, error, 'fallback');
      return { ...policy.consumeSync(key, fallbackCost(cost, policy.maxCost)), degraded: true };
    }
    this.report(key, error, policy);
    if (policy === 'throw') {
      throw error instanceof SluiceStoreError ? error : new SluiceStoreError('sluice: the store failed', { cause: error });
    }
    return unknownStateDecision(this.bands, policy === 'allow', cost);
  }

  private report(key: string, error: unknown, policy: DegradedEvent['policy']): void {
    if (this.onDegraded === undefined) return;
    try {
      this.onDegraded({ key, error, policy });
    } catch {
      // A throwing alert hook must not turn a degraded answer into a crash.
    }
  }
}

function fallbackCost(cost: BandCosts, maxCost: number): number {
  return Math.min(Math.max(largestPart(cost), 0), maxCost);
}
