import { type Decision, toDecision } from '../core/decision.js';
import { aheadsAfter, type BandCosts, reservationDelayMs } from '../core/gcra.js';
import { clearLongTimeout, type LongTimeout, setLongTimeout } from '../core/longTimeout.js';
import { checkedStoreResult, type StoreResult } from '../core/store.js';
import { isThenable } from '../core/thenable.js';
import { negatedCost, takesTokens } from './callCost.js';
import type { StoreCall } from './storeCall.js';

/**
 * The reservation behind `wait`: takes `cost` tokens with `slackMs` of tolerance to spare, and resolves when
 * they are due. An abort settles the wait at once; the tokens go back as soon as it is known that they were
 * taken: at the abort if the reservation had landed, else when it lands. `clock` gives the refund's `now`.
 */
export function reserve(
  call: StoreCall,
  clock: () => number,
  key: string,
  cost: BandCosts,
  slackMs: number,
  now: number,
  signal: AbortSignal | undefined,
): Promise<Decision> {
  const { store, policy } = call;
  const bands = policy.bands;
  return new Promise<Decision>((resolve, reject) => {
    let answered = false;
    let aborted = false;
    /** Set while granted tokens wait for their time: an abort then gives them back. */
    let timer: LongTimeout | undefined;
    const answer = (settle: () => void) => {
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    // Only called before the answer: answer() removes it.
    const onAbort = () => {
      aborted = true;
      answer(() => reject(signal?.reason));
      if (timer !== undefined) {
        clearLongTimeout(timer);
        timer = undefined;
        giveBack(call, clock, key, cost);
      }
    };
    const landed = (result: StoreResult) => {
      if (aborted) {
        // Aborted while the reservation was on its way: give back what it took, if it took anything.
        if (result.allowed && takesTokens(cost)) giveBack(call, clock, key, cost);
        return;
      }
      // Answered already by onStoreError (a timeout): a late reservation keeps its tokens, as a late consume does.
      if (answered) return;
      const delay = result.allowed ? reservationDelayMs(bands, result.aheads) : 0;
      // Described at the moment the tokens are granted, not the moment they were reserved.
      const decision = toDecision(
        bands,
        // Stryker disable next-line ArithmeticOperator: toDecision reads only allowed and aheads; now is the grant time for the record
        delay === 0 ? result : { allowed: true, now: result.now + delay, aheads: aheadsAfter(bands, result.aheads, delay) },
        cost,
        policy.blockMs,
      );
      if (delay === 0) {
        answer(() => resolve(decision));
        return;
      }
      timer = setLongTimeout(() => {
        timer = undefined;
        answer(() => resolve(decision));
      }, delay);
    };
    const failed = (error: unknown) => {
      if (!answered) answer(() => resolve(call.failure.answer(key, cost, error)));
    };
    signal?.addEventListener('abort', onAbort);
    let pending: StoreResult | PromiseLike<StoreResult>;
    try {
      pending = store.update(policy, key, cost, slackMs, now);
    } catch (error) {
      failed(error);
      return;
    }
    if (isThenable(pending)) {
      pending.then((result) => {
        try {
          landed(checkedStoreResult(result, bands.length));
        } catch (error) {
          failed(error);
        }
      }, failed);
      call.withTimeout(pending).then(undefined, failed);
    } else {
      let result: StoreResult;
      try {
        result = checkedStoreResult(pending, bands.length);
      } catch (error) {
        failed(error);
        return;
      }
      // Copy: a synchronous store may reuse its result object before the wait is over.
      landed({ allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) });
    }
  });
}

/**
 * Gives an aborted reservation's `cost` tokens back to every band of `key` (a call of cost −cost: each TAT
 * moves back by cost × T, never before now). A failure here only means they come back by refill instead.
 */
function giveBack(call: StoreCall, clock: () => number, key: string, cost: BandCosts): void {
  try {
    call.withTimeout(call.store.update(call.policy, key, negatedCost(cost), 0, clock())).then(undefined, () => undefined);
  } catch {
    // The store threw, or the clock did: the tokens come back by refill.
  }
}
