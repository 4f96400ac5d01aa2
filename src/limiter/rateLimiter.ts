import { brand, isInstance } from '../core/brand.js';
import type { Decision } from '../core/decision.js';
import { describeValue } from '../core/describeValue.js';
import { SluiceArgumentError, SluiceStoreError } from '../core/errors.js';
import { type Band, type BandCosts, MAX_CLOCK_MS, maxWaitMs } from '../core/gcra.js';
import { keyNamespace } from '../core/keyNamespace.js';
import type { OptionDeclaration } from '../core/optionSchema.js';
import type { Policy, Store } from '../core/store.js';
import { CallCost, type Cost, type CostUse } from './callCost.js';
import { asynchronousStoreError, badClockError, badKeyError, checkedBlockMs } from './limiterErrors.js';
import { declareWaitOptions, type RateLimiterOptions, readLimiterOptions, type SharedLimiterOptions } from './limiterOptions.js';
import { reserve } from './reservation.js';
import { StoreCall } from './storeCall.js';
import { StoreFailure } from './storeFailure.js';

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

/** The calls that settle a cost after the fact, never refused. */
type Settlement = Extract<CostUse, 'charge' | 'refund'>;

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
  /** The largest cost a call may ask for: the smallest band's capacity (a larger one could never succeed). */
  readonly maxCost: number;
  /**
   * The largest cost `charge` may put on a band at once (tokens), the smallest over the bands: a band's TAT
   * stays within 2^52 band units of now, so a debt is counted exactly. For a limit whose emission interval is
   * whole ms, over 4 × 10^15 / (ms per token); far above `capacity`. A debt beyond it is capped there.
   */
  readonly maxCharge: number;
  /** The `blockDuration` option in whole ms (0: none). */
  readonly blockMs: number;
  private readonly costs: CallCost;
  /**
   * The longest `maxWaitMs` a `wait` may ask for (ms): a reservation's TAT must stay within 2^52 band units
   * of now to be exact. At least 2^11 ms; for a limit whose emission interval is whole ms, over 100,000 years.
   */
  readonly maxWaitMs: number;
  /** The `clock` option; undefined for the default, so each call reads the current `Date.now` (fake timers too). */
  private readonly clock: (() => number) | undefined;
  /** Longest wait for the store before `onStoreError` answers. */
  readonly timeoutMs: number;
  /**
   * The options a limiter made beside this one takes from it, as read at construction: `store`, `clock`
   * (undefined: `Date.now`), `timeoutMs` (ms), `onStoreError` (default `'allow'`), `onDegraded` (undefined: none)
   * and `blockDuration` (whole ms; undefined: none). The HTTP adapters give them to a route's own limit under a
   * plugin given this limiter, as they give a plugin's inline options.
   */
  readonly sharedOptions: SharedLimiterOptions;
  /** The way this limiter calls its store, picked at construction. */
  private readonly call: StoreCall;
  private readonly waitOptions: OptionDeclaration<ReturnType<typeof declareWaitOptions>['schema']>;
  private readonly readClock = () => this.now();

  /** Throws a SluiceConfigError naming the first unusable option (every unknown option name at once). */
  constructor(options: RateLimiterOptions) {
    const { bands, store, prefix, clock, timeoutMs, onStoreError, onDegraded, blockDuration } = readLimiterOptions(options);
    this.bands = bands;
    this.costs = new CallCost(bands);
    this.maxCost = this.costs.maxCost;
    this.maxCharge = this.costs.maxCharge;
    this.maxWaitMs = maxWaitMs(bands);
    this.blockMs = checkedBlockMs(blockDuration, this.maxWaitMs);
    this.store = store;
    this.policy = { prefix, namespace: keyNamespace(prefix, bands), bands, blockMs: this.blockMs };
    this.clock = clock;
    this.timeoutMs = timeoutMs;
    this.sharedOptions = Object.freeze({
      store,
      clock,
      timeoutMs,
      onStoreError,
      onDegraded,
      blockDuration: this.blockMs === 0 ? undefined : this.blockMs,
    });
    this.call = new StoreCall(store, this.policy, timeoutMs, new StoreFailure(bands, onStoreError, onDegraded));
    this.waitOptions = declareWaitOptions(this.maxWaitMs);
    // Claim the namespace now, so a fingerprint collision with another limiter on the same store throws here, not on a call.
    store.claim?.(this.policy);
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
   * nothing (and, with `blockDuration`, blocks the key). `cost` is a whole number for every band, or an object
   * keyed by band name (`{ requests: 1, tokens: 350 }`) naming every band. Resolves to the Decision. Never
   * throws: a `key` that is not a non-empty string or a bad `cost` rejects with a SluiceArgumentError, a `cost`
   * (or one band's part) above that band's capacity with a CostExceedsCapacityError (a SluiceArgumentError), a
   * `clock` that returns no usable ms with a SluiceConfigError, and a failed store under
   * `onStoreError: 'throw'` with a SluiceStoreError; under the other policies a failed store resolves with
   * their answer (`degraded: true`).
   */
  consume(key: string, cost: Cost = 1): Promise<Decision> {
    let costs: BandCosts;
    let now: number;
    try {
      costs = this.checkCall(key, cost, 'take');
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call.decide(key, costs, now);
  }

  /**
   * `consume` without a promise, for synchronous stores (`MemoryStore`): the fast path for in-process
   * limiting on hot paths. Throws what `consume` rejects with, and a SluiceConfigError with an asynchronous store.
   */
  consumeSync(key: string, cost: Cost = 1): Decision {
    if (typeof key !== 'string' || key.length === 0) throw badKeyError(key);
    // The common call (cost 1 in every band) needs no further look.
    const costs = cost === 1 ? 1 : this.costs.read(cost, 'take');
    if (!this.store.synchronous) throw asynchronousStoreError(this.store, 'consumeSync', 'consume');
    return this.call.decideSync(key, costs, this.now());
  }

  /**
   * Takes `cost` tokens from `key`'s bucket unconditionally (a cost settled after the fact): the bucket may go
   * into debt, and later calls are refused until the debt is refilled (a debt of N tokens clears after
   * N × the emission interval, and then the bucket refills as usual). `cost` as for `consume` (a whole number, or
   * per band by name), each part at most `maxCharge`. Resolves to the Decision: `allowed` true,
   * `retryAfterMs` 0, `remaining` 0 when in debt (never below), `resetMs` the ms until the bucket is full again.
   * Rejects with a SluiceArgumentError for a bad `key` or `cost`, and as `consume` does when the store fails.
   */
  charge(key: string, cost: Cost): Promise<Decision> {
    return this.settle(key, cost, 'charge');
  }

  /** `charge` without a promise, for synchronous stores (`MemoryStore`). Throws what `charge` rejects with. */
  chargeSync(key: string, cost: Cost): Decision {
    return this.settleSync(key, cost, 'charge');
  }

  /**
   * Gives `cost` tokens back to `key`'s bucket (e.g. for a request that turned out not to count): never
   * refused (also a cost of 0, or a part of 0, on a bucket in debt), never beyond a full bucket, so a refund larger
   * than what was taken only fills the bucket. `cost` as for `consume` (a whole number ≥ 0, or per band by name;
   * any size). Resolves to the Decision after it (`allowed` true). Rejects with a SluiceArgumentError for a bad `key` or `cost`, and as `consume` does when
   * the store fails.
   */
  refund(key: string, cost: Cost): Promise<Decision> {
    return this.settle(key, cost, 'refund');
  }

  /** `refund` without a promise, for synchronous stores (`MemoryStore`). Throws what `refund` rejects with. */
  refundSync(key: string, cost: Cost): Decision {
    return this.settleSync(key, cost, 'refund');
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
    return this.call.decide(key, 0, now);
  }

  /**
   * Fills `key`'s bucket again, and the fallback limiter's (also when the store fails: the fallback is what answers
   * for the key then). Rejects with a SluiceArgumentError for a bad `key`, and with a SluiceStoreError (its `cause`
   * the store's error) when the store fails or takes over `timeoutMs`, or the fallback's reset fails.
   */
  async reset(key: string): Promise<void> {
    this.checkKey(key);
    let failed = false;
    let failure: unknown;
    try {
      await this.call.withTimeout(this.store.reset(this.policy, key));
    } catch (error) {
      failed = true;
      failure = error;
    }
    const fallback = this.call.failure.policy;
    if (typeof fallback === 'object') {
      try {
        await fallback.reset(key);
      } catch (error) {
        // The store's failure, when there is one, is what the caller is told.
        if (!failed) throw error;
      }
    }
    if (failed) throw new SluiceStoreError(`sluice: reset of key ${describeValue(key)} failed in the store`, { cause: failure });
  }

  /**
   * Shaping instead of refusing: reserves `cost` tokens now (so concurrent waiters are served in order
   * and the rate is never exceeded) and resolves once they are due, however far off (long delays are
   * chained timers, never cut short). If that would take longer than `maxWaitMs`, it takes nothing and
   * resolves at once with the denial. Rejects with a SluiceArgumentError for a bad argument, and with the
   * signal's reason when aborted (the reserved tokens are then given back).
   */
  wait(key: string, cost: Cost = 1, options: WaitOptions = {}): Promise<Decision> {
    let costs: BandCosts;
    let slackMs: number;
    let signal: AbortSignal | undefined;
    let now: number;
    try {
      costs = this.checkCall(key, cost, 'take');
      if (options === null || typeof options !== 'object') {
        throw new SluiceArgumentError('options', options, 'must be an object { maxWaitMs, signal }');
      }
      ({ maxWaitMs: slackMs, signal } = this.waitOptions.read(options));
      signal?.throwIfAborted();
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    return reserve(this.call, this.readClock, key, costs, slackMs, now, signal);
  }

  /**
   * The clock, in whole ms: time is counted in whole ms (as Redis' clock is), so a clock with fractions
   * (performance.now()) is rounded down. Throws a SluiceConfigError when the clock returns anything
   * but a number from 0 to 2^52.
   */
  private now(): number {
    const clock = this.clock;
    const now = clock === undefined ? Date.now() : clock();
    if (typeof now !== 'number' || !(now >= 0 && now <= MAX_CLOCK_MS)) throw badClockError(now);
    return Math.floor(now);
  }

  private checkKey(key: string): void {
    if (typeof key !== 'string' || key.length === 0) throw badKeyError(key);
  }

  /**
   * A charge or a refund: `consume`'s path with the cost read for `use`, at unbounded slack, so that neither is
   * refused (a charge may put the bucket into debt; a refund's part of 0 fits a band in debt).
   */
  private settle(key: string, cost: Cost, use: Settlement): Promise<Decision> {
    let costs: BandCosts;
    let now: number;
    try {
      costs = this.checkCall(key, cost, use);
      now = this.now();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call.decide(key, costs, now, Number.POSITIVE_INFINITY);
  }

  /** `settle` without a promise: `chargeSync` and `refundSync`. */
  private settleSync(key: string, cost: Cost, use: Settlement): Decision {
    const costs = this.checkCall(key, cost, use);
    this.checkSynchronous(`${use}Sync`, use);
    return this.call.decideSync(key, costs, this.now(), Number.POSITIVE_INFINITY);
  }

  /** Checks a call's arguments and returns its cost as the store receives it (see CallCost). */
  private checkCall(key: string, cost: Cost, use: CostUse): BandCosts {
    if (typeof key !== 'string' || key.length === 0) throw badKeyError(key);
    // The common call (cost 1 in every band) needs no further look.
    return cost === 1 && use === 'take' ? 1 : this.costs.read(cost, use);
  }

  private checkSynchronous(method: string, instead: string): void {
    if (!this.store.synchronous) throw asynchronousStoreError(this.store, method, instead);
  }
}
