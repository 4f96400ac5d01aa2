import { type Deadline, DeadlineQueue } from './deadlineQueue.js';
import { type Decision, toDecision } from './decision.js';
import { CostExceedsCapacityError, SluiceArgumentError, SluiceConfigError, SluiceStoreError, StoreTimeoutError } from './errors.js';
import { keyNamespace } from './keyNamespace.js';
import { MemoryStore } from './memoryStore.js';
import {
  compileBands,
  type DegradedEvent,
  RATE_LIMITER_OPTION_NAMES,
  type RateLimiterOptions,
  rejectUnknownOptions,
  type StoreErrorPolicy,
} from './options.js';
import { RedisStore } from './redisStore.js';
import { type CallbackStore, isCallbackStore, type Policy, type Store, type StoreCallback, type StoreResult } from './store.js';
import { type Band, reservationDelayMs } from './tokenBucket.js';

export interface WaitOptions {
  /** Longest wait accepted; a call that would wait longer takes nothing and resolves with a denial. Default 0. */
  maxWaitMs?: number;
  /** Aborting rejects the wait with the signal's reason and gives the reserved tokens back. */
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

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * A token-bucket rate limiter. Each key has a bucket of `capacity` tokens refilled continuously at
 * `refillRate` per `interval`; a call of cost c is allowed iff the bucket holds c tokens, which it takes.
 */
export class RateLimiter {
  /** The compiled limit, shared with the store. */
  readonly policy: Policy;
  readonly store: Store;
  private readonly bands: readonly Band[];
  /** A call costing more than this could never succeed. */
  private readonly maxCost: number;
  private readonly clock: () => number;
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

    const { store = new MemoryStore(), prefix = 'sl:', clock = Date.now, timeoutMs = 100, onStoreError = 'allow', onDegraded } = options;
    if (store === null || typeof store !== 'object' || typeof store.update !== 'function' || typeof store.reset !== 'function') {
      throw new SluiceConfigError('store', store, 'must be a Store (an object with update() and reset()), e.g. new MemoryStore()');
    }
    if (typeof prefix !== 'string') throw new SluiceConfigError('prefix', prefix, 'must be a string');
    if (typeof clock !== 'function') throw new SluiceConfigError('clock', clock, 'must be a function returning ms');
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
    if (store instanceof MemoryStore || store instanceof RedisStore) store.claim(this.policy);
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

  /** Takes `cost` tokens from `key`'s bucket if it holds that many; otherwise takes nothing. */
  consume(key: string, cost = 1): Promise<Decision> {
    try {
      this.checkCall(key, cost);
    } catch (error) {
      return Promise.reject(error);
    }
    const fast = this.fastStore;
    if (fast !== undefined) return Promise.resolve(fast.decideOneBand(this.policy, key, cost, this.clock()));
    return this.run(key, cost, 0);
  }

  /**
   * `consume` without a promise, for synchronous stores (`MemoryStore`): the fast path for
   * in-process limiting on hot paths. Throws a SluiceConfigError with an asynchronous store.
   */
  consumeSync(key: string, cost = 1): Decision {
    this.checkCall(key, cost);
    const fast = this.fastStore;
    if (fast !== undefined) return fast.decideOneBand(this.policy, key, cost, this.clock());
    if (!this.store.synchronous) {
      throw new SluiceConfigError(
        'store',
        this.store.constructor.name,
        'is asynchronous; consumeSync needs a synchronous store such as MemoryStore (use consume)',
      );
    }
    let result: StoreResult;
    try {
      result = this.store.update(this.policy, key, cost, 0, this.clock()) as StoreResult;
    } catch (error) {
      return this.degradedSync(key, cost, error);
    }
    return toDecision(this.bands, result, cost);
  }

  /** The decision a call of cost 0 gets: looks at the bucket, takes nothing. */
  peek(key: string): Promise<Decision> {
    try {
      this.checkKey(key);
    } catch (error) {
      return Promise.reject(error);
    }
    const fast = this.fastStore;
    if (fast !== undefined) return Promise.resolve(fast.decideOneBand(this.policy, key, 0, this.clock()));
    return this.run(key, 0, 0);
  }

  /** Fills `key`'s bucket again. */
  async reset(key: string): Promise<void> {
    this.checkKey(key);
    try {
      await this.withTimeout(this.store.reset(this.policy, key));
    } catch (error) {
      throw new SluiceStoreError(`sluice: reset of key ${JSON.stringify(key)} failed in the store`, { cause: error });
    }
    if (this.onStoreError instanceof RateLimiter) await this.onStoreError.reset(key);
  }

  /**
   * Shaping instead of refusing: reserves `cost` tokens now (so concurrent waiters are served in order
   * and the rate is never exceeded) and resolves once they are due. If that would take longer than
   * `maxWaitMs`, it takes nothing and resolves at once with the denial.
   */
  wait(key: string, cost = 1, options: WaitOptions = {}): Promise<Decision> {
    let maxWaitMs: number;
    try {
      this.checkCall(key, cost);
      if (options === null || typeof options !== 'object')
        throw new SluiceArgumentError('options', options, 'must be an object { maxWaitMs, signal }');
      rejectUnknownOptions(options, ['maxWaitMs', 'signal'], 'wait options');
      maxWaitMs = options.maxWaitMs ?? 0;
      if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) {
        throw new SluiceArgumentError('maxWaitMs', options.maxWaitMs, 'must be a finite number of ms ≥ 0');
      }
      if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
        throw new SluiceArgumentError('signal', options.signal, 'must be an AbortSignal');
      }
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.reserve(key, cost, maxWaitMs, options.signal);
  }

  private async reserve(key: string, cost: number, maxWaitMs: number, signal: AbortSignal | undefined): Promise<Decision> {
    let result: StoreResult;
    try {
      const reservation = this.store.update(this.policy, key, cost, maxWaitMs, this.clock());
      // Copy: a synchronous store may reuse its result object before the wait is over.
      const settled = isPromiseLike(reservation) ? await this.withTimeout(reservation) : reservation;
      result = { allowed: settled.allowed, now: settled.now, tats: Array.from(settled.tats) };
    } catch (error) {
      return this.degraded(key, cost, error);
    }
    if (!result.allowed) return toDecision(this.bands, result, cost);
    const delay = reservationDelayMs(this.bands, result.tats, result.now);
    // Described at the moment the tokens are granted, not the moment they were reserved.
    const decision = toDecision(this.bands, { allowed: true, now: result.now + delay, tats: result.tats }, cost);
    if (delay === 0) return decision;
    return new Promise<Decision>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
        this.giveBack(key, cost);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(decision);
      }, delay);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Returns an aborted reservation's tokens; a failure here only means they come back by refill instead. */
  private giveBack(key: string, cost: number): void {
    try {
      const refund = this.store.update(this.policy, key, -cost, 0, this.clock());
      if (isPromiseLike(refund)) refund.then(undefined, () => undefined);
    } catch {
      // The tokens refill on their own; nothing to lose.
    }
  }

  private run(key: string, cost: number, slackMs: number): Promise<Decision> {
    const callbackStore = this.callbackStore;
    if (callbackStore !== undefined) {
      return new Promise<Decision>((resolve) => {
        const call = new PendingDecision(this, key, cost, resolve);
        try {
          callbackStore.updateInto(this.policy, key, cost, slackMs, this.clock(), call);
        } catch (error) {
          call.fail(error);
        }
        // A cached answer may have settled it already.
        if (!call.settled) this.deadlines?.add(call);
      });
    }
    let pending: StoreResult | PromiseLike<StoreResult>;
    try {
      pending = this.store.update(this.policy, key, cost, slackMs, this.clock());
    } catch (error) {
      return this.degraded(key, cost, error);
    }
    if (!isPromiseLike(pending)) return Promise.resolve(toDecision(this.bands, pending, cost));
    return this.withTimeout(pending).then(
      (result) => toDecision(this.bands, result, cost),
      (error: unknown) => this.degraded(key, cost, error),
    );
  }

  /** Races a store call against `timeoutMs`, with one shared timer (see DeadlineQueue). */
  private withTimeout<T>(pending: T | PromiseLike<T>): Promise<T> {
    if (!isPromiseLike(pending)) return Promise.resolve(pending);
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
      // Unknown without the store; report the band as it is when nothing is known: full.
      remaining: allowed ? Math.max(0, Math.floor(band.capacity - cost)) : 0,
      retryAfterMs: allowed ? 0 : Math.ceil(((cost || 1) * band.emission) / band.scale),
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
      if (typeof cost !== 'number' || !(cost >= 0) || !Number.isFinite(cost)) {
        throw new SluiceArgumentError('cost', cost, 'must be a finite number ≥ 0');
      }
      if (cost > this.maxCost) throw new CostExceedsCapacityError(cost, this.maxCost);
    }
  }
}
