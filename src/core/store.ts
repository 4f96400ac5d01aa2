import { describeValue } from './describeValue.js';
import { SluiceStoreError } from './errors.js';
import type { Band } from './gcra.js';

/** What a limiter asks of a store: its key namespace and its compiled bands. */
export interface Policy {
  /** The limiter's `prefix` option, as given. */
  readonly prefix: string;
  /**
   * Where the limiter's keys live: the escaped prefix, a fingerprint of the limits, and `|` (`sl:Ab3x|`).
   * `namespace + key` is a safe name for any key: the first `|` in it ends the namespace, so no key or
   * prefix can reach another limiter's names, and limiters with other limits never share one.
   */
  readonly namespace: string;
  /** The limit bands; a call must fit in every one of them. */
  readonly bands: readonly Band[];
}

/** The outcome of one atomic call on a store. */
export interface StoreResult {
  /** Whether the call fitted in every band (and so was applied). */
  readonly allowed: boolean;
  /** The time the store decided at, in whole ms (its own clock, or the `now` it was given). */
  readonly now: number;
  /**
   * Per band, how far its TAT is ahead of `now` after the call (unchanged on a denial), in band units
   * (1/scale ms): 0 for a full bucket. An exact integer; `applyCall` fills it in.
   */
  readonly aheads: ArrayLike<number>;
}

/**
 * Where bucket state lives. `MemoryStore` and `RedisStore` implement it; so can you.
 *
 * A store keeps, per `policy.namespace` + key, two numbers per band (the TAT as whole ms rounded up, and
 * the band units it falls short of that) and applies calls to them atomically: read them (missing =
 * full bucket: `now` and 0), call `applyCall` from `sluice` (all or nothing across bands), write them
 * back if it returned true and `cost !== 0`, ideally with a time-to-live of `max(tat) − now` ms (after
 * that the bucket is full and the key may go), and return `{ allowed, now, aheads }`.
 */
export interface Store {
  /**
   * True when `update` and `reset` never return a promise. The limiter then offers
   * `consumeSync`, and skips the timeout machinery.
   */
  readonly synchronous: boolean;
  /**
   * Applies a call of `cost` tokens to `key`, atomically across all bands.
   * `cost` is a whole number of tokens. `slackMs` (whole ms) > 0 is a reservation (`wait`): tolerance is
   * widened by that much. `cost` < 0 gives tokens back (a refund, e.g. an aborted wait): never refused,
   * never beyond a full bucket. `now` is the limiter's clock in whole ms; a store with a clock of its own
   * (Redis) may use that instead and report it in the result.
   * A synchronous store may return the same result object every time: the limiter reads it at once.
   */
  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): StoreResult | PromiseLike<StoreResult>;
  /** Forgets `key`: its buckets are full again. */
  reset(policy: Policy, key: string): void | PromiseLike<void>;
  /**
   * Optional: called once by each limiter built on this store, at construction, with its policy. A store
   * may throw a `SluiceConfigError` here to refuse a namespace it cannot keep apart from one it already
   * serves (MemoryStore and RedisStore refuse a limits fingerprint collision).
   */
  claim?(policy: Policy): void;
  /** Releases timers and connections the store opened itself. */
  close?(): void | PromiseLike<void>;
}

/** @internal Receives the answer of one store call: exactly one of the two is called, once. */
export interface StoreCallback {
  settle(result: StoreResult): void;
  fail(error: unknown): void;
}

/**
 * @internal A store that can answer a call through a callback object instead of a promise of its own
 * (RedisStore): the limiter's pending call is that object, so an asynchronous decision costs one promise.
 */
export interface CallbackStore extends Store {
  updateInto(policy: Policy, key: string, cost: number, slackMs: number, now: number, callback: StoreCallback): void;
}

/** @internal */
export function isCallbackStore(store: Store): store is CallbackStore {
  return typeof (store as Partial<CallbackStore>).updateInto === 'function';
}

/**
 * A store's result as the limiter reads it, checked first: a store written outside sluice may answer
 * anything, and a malformed answer is a store failure (answered by `onStoreError`), not a crash.
 * Throws a SluiceStoreError naming what is wrong.
 */
export function checkedStoreResult(result: unknown, bandCount: number): StoreResult {
  const candidate = result as Partial<StoreResult> | null | undefined;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.allowed !== 'boolean' ||
    typeof candidate.now !== 'number' ||
    candidate.aheads === null ||
    typeof candidate.aheads !== 'object' ||
    !(candidate.aheads.length >= bandCount)
  ) {
    throw new SluiceStoreError(
      `sluice: the store answered ${describeValue(result)}, not a result { allowed: boolean, now: number, aheads: one number per band }`,
    );
  }
  return candidate as StoreResult;
}
