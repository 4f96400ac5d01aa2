import { brand, isInstance } from '../core/brand.js';
import { type Decision, toDecision } from '../core/decision.js';
import { describeValue } from '../core/describeValue.js';
import { CostExceedsCapacityError, SluiceArgumentError, SluiceConfigError, SluiceStoreError, StoreTimeoutError } from '../core/errors.js';
import { aheadsAfter, type Band, MAX_CLOCK_MS, maxWaitMs, msUntilFits, reservationDelayMs } from '../core/gcra.js';
import { keyNamespace } from '../core/keyNamespace.js';
import { clearLongTimeout, type LongTimeout, setLongTimeout } from '../core/longTimeout.js';
import { rejectUnknownOptions } from '../core/optionSchema.js';
import {
  type CallbackStore,
  checkedStoreResult,
  isCallbackStore,
  type Policy,
  type Store,
  type StoreCallback,
  type StoreResult,
} from '../core/store.js';
import { isThenable } from '../core/thenable.js';
import { MemoryStore } from '../stores/memory/memoryStore.js';
import { type Deadline, DeadlineQueue } from './deadlineQueue.js';
import {
  compileBands,
  type DegradedEvent,
  RATE_LIMITER_OPTION_NAMES,
  type RateLimiterOptions,
  type StoreErrorPolicy,
} from './limiterOptions.js';

export interface WaitOptions {
  /**
   * Longest wait accepted, in ms (a fraction counts down to whole ms); a call that would wait longer takes
   * nothing and resolves with a denial. From 0 (the default) to the limiter's `maxWaitMs`.
   */
  maxWaitMs?: number;
  /**
   * Aborting rejects the wait with the signal's reason and gives back exactly the tokens it reserved,
   * whenever the abort comes (also while the reservation is still on its way to the store).
   */
  signal?: AbortSignal;
}

const STORE_ERROR_POLICIES = new Set(['allow', 'deny', 'throw']);

/**
 * One `consume`/`peek` in flight on a CallbackStore: the store's callback, the timeout queue's entry and
 * the resolver of the caller's promise in one object, so the call allocates one promise and no closures.
 */
class PendingDecision implements StoreCallback, Deadline {
  at = 0;
  settled = false;
  next: Deadline | undefined = undefined;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly key: string,
    private readonly cost: number,
    private readonly resolve: (decision: Decision | Promise<Decision>) => void,
  ) {}

  settle(result: StoreResult): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(toDecision(this.limiter.limits, result, this.cost));
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(this.limiter.answerFailure(this.key, this.cost, error));
  }

  expire(): void {
    this.fail(new StoreTimeoutError(this.limiter.timeoutMs));
  }
}

/**
 * A token-bucket rate limiter. Each key has a bucket of `capacity` tokens refilled continuously at
 * `refillRate` per `interval`; a call of cost c is allowed iff the bucket holds c tokens, which it takes.
 */
export class RateLimiter {
  static {
    brand(RateLimiter, 'RateLimiter');
  }

  /**
   * True for a RateLimiter of any copy of sluice loaded in the process (its ESM and its CJS build, say), so a
   * limiter built through `import` may be handed to an adapter loaded through `require`.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asked about, maybe a user's subclass
    return isInstance(this, value);
  }

  /** The compiled limit, shared with the store. */
  readonly policy: Policy;
  readonly store: Store;
  private readonly bands: readonly Band[];
  /** A call costing more than this could never succeed. */
  private readonly maxCost: number;
  /**
   * The longest `maxWaitMs` a `wait` may ask for (ms): a reservation's TAT must stay within 2^52 band units
   * of now to be exact. At least 2^11 ms; for a limit whose emission interval is whole ms, over 100,000 years.
   */
  readonly maxWaitMs: number;
  /** The `clock` option; undefined for the default, so each call reads the current `Date.now` (fake timers too). */
  private readonly clock: (() => number) | undefined;
  /** Longest wait for the store before `onStoreError` answers. */
  readonly timeoutMs: number;
  private readonly onStoreError: StoreErrorPolicy;
  private readonly onDegraded: ((event: DegradedEvent) => void) | undefined;
  private readonly deadlines: DeadlineQueue | undefined;
  /** Set for a one-band limiter on a MemoryStore: consumeSync then takes the fused fast path. */
  private readonly fastStore: MemoryStore | undefined;
  /** Set for a store that answers through callbacks (RedisStore): one promise per call. */
  private readonly callbackStore: CallbackStore | undefined;

  constructor(options: RateLimiterOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SluiceConfigError('options', options, 'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }');
    }
    rejectUnknownOptions(options, RATE_LIMITER_OPTION_NAMES, '');
    this.bands = compileBands(options);
    this.maxCost = Math.min(...this.bands.map((band) => band.capacity));
    this.maxWaitMs = maxWaitMs(this.bands);

    const { store = new MemoryStore(), prefix = 'sl:', clock, timeoutMs = 100, onStoreError = 'allow', onDegraded } = options;
    if (store === null || typeof store !== 'object' || typeof store.update !== 'function' || typeof store.reset !== 'function') {
      throw new SluiceConfigError('store', store, 'must be a Store (an object with update() and reset()), e.g. new MemoryStore()');
    }
    if (typeof prefix !== 'string') throw new SluiceConfigError('prefix', prefix, 'must be a string');
    if (clock !== undefined && typeof clock !== 'function') throw new SluiceConfigError('clock', clock, 'must be a function returning ms');
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      throw new SluiceConfigError('timeoutMs', timeoutMs, 'must be a positive, finite number of ms');
    }
    if (!(onStoreError instanceof RateLimiter) && !STORE_ERROR_POLICIES.has(onStoreError as string)) {
      throw new SluiceConfigError('onStoreError', onStoreError, "must be 'allow', 'deny', 'throw' or a fallback RateLimiter");
    }
    if (onStoreError === this) throw new SluiceConfigError('onStoreError', 'this limiter', 'cannot be the limiter itself');
    if (onDegraded !== undefined && typeof onDegraded !== 'function') {
      throw new SluiceConfigError('onDegraded', onDegraded, 'must be a function');
    }
    this.store = store;
    this.policy = { prefix, namespace: keyNamespace(prefix, this.bands), bands: this.bands };
    this.clock = clock;
    this.timeoutMs = timeoutMs;
    this.onStoreError = onStoreError;
    this.onDegraded = onDegraded;
    this.deadlines = store.synchronous ? undefined : new DeadlineQueue(timeoutMs);
    // Claim the namespace now, so a fingerprint collision with another limiter on the same store throws here, not on a call.
    store.claim?.(this.policy);
    this.fastStore = store instanceof MemoryStore && this.bands.length === 1 ? store : undefined;
    this.callbackStore = isCallbackStore(store) ? store : undefined;
  }

  /** Capacity of the first band (the only one for a one-band limiter). */
  get capacity(): number {
    return (this.bands[0] as Band).capacity;
  }

  /** The compiled bands, in the order of `limits`. */
  get limits(): readonly Band[] {
    return this.bands;
  }

  /**
   * Takes `cost` tokens (default 1; 0 only looks) from `key`'s bucket if it holds that many; otherwise takes
   * nothing. Resolves to the Decision. Never throws: a `key` that is not a non-empty string or a bad `cost`
   * rejects with a SluiceArgumentError, a `cost` above the smallest band's capacity with a
   * CostExceedsCapacityError (a SluiceArgumentError), a `clock` that returns no usable ms with a
   * SluiceConfigError, and a failed store under `onStoreError: 'throw'` with a SluiceStoreError; under the other
   * policies a failed store resolves with their answer (`degraded: true`).
   */
  consume(key: string, cost = 1): Promise<Decision> {
    let now: number;
    try {
      this.checkCall(key, cost);
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    const fast = this.fastStore;
    if (fast !== undefined) return Promise.resolve(fast.decideOneBand(this.policy, key, cost, now));
    return this.run(key, cost, 0, now);
  }

  /**
   * `consume` without a promise, for synchronous stores (`MemoryStore`): the fast path for in-process
   * limiting on hot paths. Throws what `consume` rejects with, and a SluiceConfigError with an asynchronous store.
   */
  consumeSync(key: string, cost = 1): Decision {
    this.checkCall(key, cost);
    const fast = this.fastStore;
    if (fast !== undefined) return fast.decideOneBand(this.policy, key, cost, this.now());
    if (!this.store.synchronous) {
      throw new SluiceConfigError(
        'store',
        this.store.constructor.name,
        'is asynchronous; consumeSync needs a synchronous store such as MemoryStore (use consume)',
      );
    }
    const now = this.now();
    let result: StoreResult;
    try {
      result = checkedStoreResult(this.store.update(this.policy, key, cost, 0, now), this.bands.length);
    } catch (error) {
      return this.degradedSync(key, cost, error);
    }
    return toDecision(this.bands, result, cost);
  }

  /** The decision a call of cost 0 gets: looks at the bucket, takes nothing. Rejects as `consume` does. */
  peek(key: string): Promise<Decision> {
    let now: number;
    try {
      this.checkKey(key);
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    const fast = this.fastStore;
    if (fast !== undefined) return Promise.resolve(fast.decideOneBand(this.policy, key, 0, now));
    return this.run(key, 0, 0, now);
  }

  /**
   * Fills `key`'s bucket again (and the fallback limiter's). Rejects with a SluiceArgumentError for a bad `key`,
   * and with a SluiceStoreError (its `cause` the store's error) when the store fails or takes over `timeoutMs`.
   */
  async reset(key: string): Promise<void> {
    this.checkKey(key);
    try {
      await this.withTimeout(this.store.reset(this.policy, key));
    } catch (error) {
      throw new SluiceStoreError(`sluice: reset of key ${describeValue(key)} failed in the store`, { cause: error });
    }
    if (this.onStoreError instanceof RateLimiter) await this.onStoreError.reset(key);
  }

  /**
   * Shaping instead of refusing: reserves `cost` tokens now (so concurrent waiters are served in order
   * and the rate is never exceeded) and resolves once they are due, however far off (long delays are
   * chained timers, never cut short). If that would take longer than `maxWaitMs`, it takes nothing and
   * resolves at once with the denial. Rejects with a SluiceArgumentError for a bad argument, and with the
   * signal's reason when aborted (the reserved tokens are then given back).
   */
  wait(key: string, cost = 1, options: WaitOptions = {}): Promise<Decision> {
    let slackMs: number;
    let now: number;
    try {
      this.checkCall(key, cost);
      if (options === null || typeof options !== 'object')
        throw new SluiceArgumentError('options', options, 'must be an object { maxWaitMs, signal }');
      rejectUnknownOptions(options, ['maxWaitMs', 'signal'], 'wait options');
      const maxWait = options.maxWaitMs ?? 0;
      if (typeof maxWait !== 'number' || !(maxWait >= 0 && maxWait <= this.maxWaitMs)) {
        throw new SluiceArgumentError('maxWaitMs', options.maxWaitMs, `must be a number of ms from 0 to ${this.maxWaitMs}`);
      }
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new SluiceArgumentError('signal', options.signal, 'must be an AbortSignal');
      }
      options.signal?.throwIfAborted();
      // Delays are whole ms: a wait of up to 2.5 ms is a wait of up to 2 ms.
      slackMs = Math.floor(maxWait);
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.reserve(key, cost, slackMs, now, options.signal);
  }

  /**
   * The reservation behind `wait`. An abort settles the wait at once; the tokens go back as soon as it is
   * known that they were taken: at the abort if the reservation had landed, else when it lands.
   */
  private reserve(key: string, cost: number, slackMs: number, now: number, signal: AbortSignal | undefined): Promise<Decision> {
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
      const onAbort = () => {
        if (answered) return;
        aborted = true;
        answer(() => reject(signal?.reason));
        if (timer !== undefined) {
          clearLongTimeout(timer);
          timer = undefined;
          this.giveBack(key, cost);
        }
      };
      const landed = (result: StoreResult) => {
        if (aborted) {
          // Aborted while the reservation was on its way: give back what it took, if it took anything.
          if (result.allowed && cost > 0) this.giveBack(key, cost);
          return;
        }
        // Answered already by onStoreError (a timeout): a late reservation keeps its tokens, as a late consume does.
        if (answered) return;
        const delay = result.allowed ? reservationDelayMs(this.bands, result.aheads) : 0;
        // Described at the moment the tokens are granted, not the moment they were reserved.
        const decision = toDecision(
          this.bands,
          delay === 0 ? result : { allowed: true, now: result.now + delay, aheads: aheadsAfter(this.bands, result.aheads, delay) },
          cost,
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
        if (!answered) answer(() => resolve(this.degraded(key, cost, error)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let pending: StoreResult | PromiseLike<StoreResult>;
      try {
        pending = this.store.update(this.policy, key, cost, slackMs, now);
      } catch (error) {
        failed(error);
        return;
      }
      if (isThenable(pending)) {
        pending.then((result) => {
          try {
            landed(checkedStoreResult(result, this.bands.length));
          } catch (error) {
            failed(error);
          }
        }, failed);
        this.withTimeout(pending).then(undefined, failed);
      } else {
        let result: StoreResult;
        try {
          result = checkedStoreResult(pending, this.bands.length);
        } catch (error) {
          failed(error);
          return;
        }
        // Copy: a synchronous store may reuse its result object before the wait is over.
        landed({ allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) });
      }
    });
  }

  /** Gives back an aborted reservation's tokens; a failure here only means they come back by refill instead. */
  private giveBack(key: string, cost: number): void {
    this.refund(key, cost).then(undefined, () => undefined);
  }

  /**
   * Gives `cost` tokens back to every band of `key`: each TAT moves back by cost × T, never before now,
   * so a bucket never holds more than its capacity. Never refused. Resolves to the decision of a look
   * afterwards; rejects when the store fails or times out (the tokens then come back by refill).
   */
  private async refund(key: string, cost: number): Promise<Decision> {
    const result = await this.withTimeout(this.store.update(this.policy, key, -cost, 0, this.now()));
    return toDecision(this.bands, result, 0);
  }

  private run(key: string, cost: number, slackMs: number, now: number): Promise<Decision> {
    const callbackStore = this.callbackStore;
    if (callbackStore !== undefined) {
      return new Promise<Decision>((resolve) => {
        const call = new PendingDecision(this, key, cost, resolve);
        try {
          callbackStore.updateInto(this.policy, key, cost, slackMs, now, call);
        } catch (error) {
          call.fail(error);
        }
        // A cached answer may have settled it already.
        if (!call.settled) this.deadlines?.add(call);
      });
    }
    let pending: StoreResult | PromiseLike<StoreResult>;
    try {
      pending = this.store.update(this.policy, key, cost, slackMs, now);
    } catch (error) {
      return this.degraded(key, cost, error);
    }
    if (!isThenable(pending)) return this.decisionOf(key, cost, pending);
    return this.withTimeout(pending).then(
      (result) => this.decisionOf(key, cost, result),
      (error: unknown) => this.degraded(key, cost, error),
    );
  }

  /** The decision for a generic store's result; a malformed result is a store failure. */
  private decisionOf(key: string, cost: number, result: unknown): Promise<Decision> {
    let decision: Decision;
    try {
      decision = toDecision(this.bands, checkedStoreResult(result, this.bands.length), cost);
    } catch (error) {
      return this.degraded(key, cost, error);
    }
    return Promise.resolve(decision);
  }

  /** Races a store call against `timeoutMs`, with one shared timer (see DeadlineQueue). */
  private withTimeout<T>(pending: T | PromiseLike<T>): Promise<T> {
    if (!isThenable(pending)) return Promise.resolve(pending);
    const deadlines = this.deadlines ?? new DeadlineQueue(this.timeoutMs);
    return new Promise<T>((resolve, reject) => {
      const deadline: Deadline = {
        at: 0,
        settled: false,
        next: undefined,
        expire: () => {
          deadline.settled = true;
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

  /** @internal The answer of `onStoreError` for a failed store call (for PendingDecision). */
  answerFailure(key: string, cost: number, error: unknown): Promise<Decision> {
    return this.degraded(key, cost, error);
  }

  /** The answer of `onStoreError` for a failed store call. */
  private async degraded(key: string, cost: number, error: unknown): Promise<Decision> {
    const policy = this.onStoreError;
    if (policy instanceof RateLimiter) {
      this.report(key, error, 'fallback');
      const decision = await policy.consume(key, Math.min(cost, policy.maxCost));
      return { ...decision, degraded: true };
    }
    return this.degradedSync(key, cost, error);
  }

  private degradedSync(key: string, cost: number, error: unknown): Decision {
    const policy = this.onStoreError;
    if (policy instanceof RateLimiter) {
      this.report(key, error, 'fallback');
      return { ...policy.consumeSync(key, Math.min(cost, policy.maxCost)), degraded: true };
    }
    this.report(key, error, policy);
    if (policy === 'throw') {
      throw error instanceof SluiceStoreError ? error : new SluiceStoreError('sluice: the store failed', { cause: error });
    }
    const band = this.bands[0] as Band;
    const allowed = policy === 'allow';
    return {
      allowed,
      limit: band.capacity,
      // Unknown without the store; report the band as it is when nothing is known: full when allowed,
      // empty when denied (retry when `cost` tokens, at least one, could have refilled).
      remaining: allowed ? band.capacity - cost : 0,
      retryAfterMs: allowed ? 0 : msUntilFits(band, band.tolerance, cost || 1),
      resetMs: 0,
      degraded: true,
      bands: undefined,
    };
  }

  private report(key: string, error: unknown, policy: DegradedEvent['policy']): void {
    if (this.onDegraded === undefined) return;
    try {
      this.onDegraded({ key, error, policy });
    } catch {
      // A throwing alert hook must not turn a degraded answer into a crash.
    }
  }

  /**
   * The clock, in whole ms: time is counted in whole ms (as Redis' clock is), so a clock with fractions
   * (performance.now()) is rounded down. Throws a SluiceConfigError when the clock returns anything
   * but a number from 0 to 2^52.
   */
  private now(): number {
    const clock = this.clock;
    const now = clock === undefined ? Date.now() : clock();
    if (typeof now !== 'number' || !(now >= 0 && now <= MAX_CLOCK_MS)) {
      throw new SluiceConfigError('clock', now, `must return ms as a number from 0 to 2^52 (${MAX_CLOCK_MS})`);
    }
    return Math.floor(now);
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) {
      throw new SluiceArgumentError('key', key, 'must be a non-empty string');
    }
  }

  private checkCall(key: string, cost: number): void {
    if (typeof key !== 'string' || key.length === 0) {
      throw new SluiceArgumentError('key', key, 'must be a non-empty string');
    }
    if (cost !== 1) {
      if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 0) {
        throw new SluiceArgumentError('cost', cost, 'must be a whole number of tokens ≥ 0');
      }
      if (cost > this.maxCost) throw new CostExceedsCapacityError(cost, this.maxCost);
    }
  }
}
