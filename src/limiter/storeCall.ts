import { type Decision, oneBandDecision, toDecision } from '../core/decision.js';
import { StoreTimeoutError } from '../core/errors.js';
import type { Band, BandCosts } from '../core/gcra.js';
import { checkedStoreResult, type Policy, type Store, type StoreCallback, type StoreResult } from '../core/store.js';
import { isThenable } from '../core/thenable.js';
import { answersWellFormed } from '../core/wellFormedResults.js';
import { type Deadline, DeadlineQueue } from './deadlineQueue.js';
import type { StoreFailure } from './storeFailure.js';

/**
 * How one limiter calls its store: the way is picked once, at construction, from what the store offers
 * (see `Store`): read a synchronous store's result at once; hand an asynchronous store with `updateInto`
 * a callback object that is also the caller's timeout entry; else race `update`'s promise against
 * `timeoutMs`. Every Decision is built here with `toDecision`; every failure goes to `StoreFailure`.
 */
export class StoreCall {
  /**
   * A `consume` (or, with cost 0, a `peek`; with a negative cost, a `refund`; with `slackMs` Infinity, a
   * `charge`) at `now`: resolves to the decision; rejects only under `'throw'`.
   */
  readonly decide: (key: string, cost: BandCosts, now: number, slackMs?: number) => Promise<Decision>;
  private readonly bands: readonly Band[];
  /** The band of a one-band limit (the common case, decided without toDecision's loop); else undefined. */
  private readonly oneBand: Band | undefined;
  /** True when the store's results need no check (see wellFormedResults). */
  private readonly wellFormed: boolean;
  /** One timer for every pending call of an asynchronous store. */
  private readonly deadlines: DeadlineQueue | undefined;

  constructor(
    readonly store: Store,
    readonly policy: Policy,
    readonly timeoutMs: number,
    readonly failure: StoreFailure,
  ) {
    this.bands = policy.bands;
    this.oneBand = policy.bands.length === 1 ? policy.bands[0] : undefined;
    this.wellFormed = store.synchronous && answersWellFormed(store);
    this.deadlines = store.synchronous ? undefined : new DeadlineQueue(timeoutMs);
    if (store.synchronous) this.decide = this.decideAtOnce;
    else if (typeof store.updateInto === 'function') this.decide = this.decideByCallback;
    else this.decide = this.decideByPromise;
  }

  /** `decide` for a synchronous store, without a promise (consumeSync). */
  decideSync(key: string, cost: BandCosts, now: number, slackMs = 0): Decision {
    const band = this.oneBand;
    // The common call (one band, a plain cost, a store whose results need no check) in few steps, so it inlines.
    if (band === undefined || typeof cost !== 'number' || !this.wellFormed) return this.decideSyncChecked(key, cost, now, slackMs);
    let result: StoreResult;
    try {
      result = this.store.update(this.policy, key, cost, slackMs, now) as StoreResult;
    } catch (error) {
      return this.failure.answerSync(key, cost, error, slackMs);
    }
    return oneBandDecision(band, result.allowed, result.aheads[0] as number, cost, this.policy.blockMs);
  }

  private decideSyncChecked(key: string, cost: BandCosts, now: number, slackMs: number): Decision {
    let result: StoreResult;
    try {
      result = this.updateAtOnce(key, cost, now, slackMs);
    } catch (error) {
      return this.failure.answerSync(key, cost, error, slackMs);
    }
    const band = this.oneBand;
    return band !== undefined && typeof cost === 'number'
      ? oneBandDecision(band, result.allowed, result.aheads[0] as number, cost, this.policy.blockMs)
      : toDecision(this.bands, result, cost, this.policy.blockMs);
  }

  /** A synchronous store's result, checked unless the store is one whose results sluice vouches for. */
  private updateAtOnce(key: string, cost: BandCosts, now: number, slackMs: number): StoreResult {
    const result = this.store.update(this.policy, key, cost, slackMs, now);
    return this.wellFormed ? (result as StoreResult) : checkedStoreResult(result, this.bands.length);
  }

  /** Races a store call against `timeoutMs`, with one shared timer (see DeadlineQueue). */
  withTimeout<T>(pending: T | PromiseLike<T>): Promise<T> {
    if (!isThenable(pending)) return Promise.resolve(pending);
    const deadlines = this.deadlines ?? new DeadlineQueue(this.timeoutMs);
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = {
        at: 0,
        settled: false,
        next: undefined,
        // Out of the queue once expired: nothing reads `settled` after.
        expire: () => {
          reject(new StoreTimeoutError(this.timeoutMs));
        },
      };
      deadlines.add(deadline);
      pending.then(
        (value) => {
          deadline.settled = true;
          resolve(value);
        },
        (error: unknown) => {
          deadline.settled = true;
          reject(error);
        },
      );
    });
  }

  private decideAtOnce(key: string, cost: BandCosts, now: number, slackMs = 0): Promise<Decision> {
    let result: StoreResult;
    try {
      result = this.updateAtOnce(key, cost, now, slackMs);
    } catch (error) {
      return this.failure.answer(key, cost, error, slackMs);
    }
    const band = this.oneBand;
    return Promise.resolve(
      band !== undefined && typeof cost === 'number'
        ? oneBandDecision(band, result.allowed, result.aheads[0] as number, cost, this.policy.blockMs)
        : toDecision(this.bands, result, cost, this.policy.blockMs),
    );
  }

  private decideByCallback(key: string, cost: BandCosts, now: number, slackMs = 0): Promise<Decision> {
    return new Promise<Decision>((resolve) => {
      const call = new PendingDecision(this, key, cost, slackMs, resolve);
      try {
        (this.store.updateInto as NonNullable<Store['updateInto']>)(this.policy, key, cost, slackMs, now, call);
      } catch (error) {
        call.fail(error);
      }
      // A cached answer may have settled it already.
      if (!call.settled) this.deadlines?.add(call);
    });
  }

  private decideByPromise(key: string, cost: BandCosts, now: number, slackMs = 0): Promise<Decision> {
    let pending: StoreResult | PromiseLike<StoreResult>;
    try {
      pending = this.store.update(this.policy, key, cost, slackMs, now);
    } catch (error) {
      return this.failure.answer(key, cost, error, slackMs);
    }
    return this.withTimeout(pending).then(
      (result) => this.decisionOf(key, cost, slackMs, result),
      (error: unknown) => this.failure.answer(key, cost, error, slackMs),
    );
  }

  /** @internal The decision for a store's answer; a malformed one is a store failure. */
  decisionOf(key: string, cost: BandCosts, slackMs: number, result: unknown): Promise<Decision> {
    let decision: Decision;
    try {
      decision = toDecision(this.bands, checkedStoreResult(result, this.bands.length), cost, this.policy.blockMs);
    } catch (error) {
      return this.failure.answer(key, cost, error, slackMs);
    }
    return Promise.resolve(decision);
  }
}

/**
 * One `consume`/`peek` in flight on a store with `updateInto`: the store's callback, the timeout queue's
 * entry and the resolver of the caller's promise in one object, so the call allocates one promise and no closures.
 */
class PendingDecision implements StoreCallback, Deadline {
  at = 0;
  settled = false;
  next: Deadline | undefined = undefined;

  constructor(
    private readonly call: StoreCall,
    private readonly key: string,
    private readonly cost: BandCosts,
    private readonly slackMs: number,
    private readonly resolve: (decision: Decision | Promise<Decision>) => void,
  ) {}

  settle(result: StoreResult): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.call.decisionOf(this.key, this.cost, this.slackMs, result));
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.call.failure.answer(this.key, this.cost, error, this.slackMs));
  }

  expire(): void {
    this.fail(new StoreTimeoutError(this.call.timeoutMs));
  }
}
