import { describeValue } from './describeValue.js';
import { SluiceStoreError } from './errors.js';
import type { Band, BandCosts } from './gcra.js';

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
  /**
   * The limiter's `blockDuration` in whole ms (0: none): pass it to `applyCall` as `blockMs`, so a refused call
   * pushes the bands that refused it out by that much. Optional for policies built outside sluice.
   */
  readonly blockMs?: number;
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

/** Receives the answer of one `updateInto` call: exactly one of the two is called, once. */
export interface StoreCallback {
  /** The call's result; the limiter reads it at once, so a store may pass the same object every time. */
  settle(result: StoreResult): void;
  /** The call failed: `onStoreError` answers it. */
  fail(error: unknown): void;
}

/**
 * Where bucket state lives. `MemoryStore` and `RedisStore` implement it; so can you.
 *
 * A store keeps, per `policy.namespace` + key, two numbers per band (the TAT as whole ms rounded up, and
 * the band units it falls short of that) and applies calls to them atomically: read them (missing =
 * full bucket: `now` and 0), call `applyCall` from `sluice` (all or nothing across bands) with
 * `policy.blockMs`, write them back (a denial may have changed them too when the limiter blocks: keep
 * them whenever any of `aheads` is above 0), ideally with a time-to-live of `max(tat) − now` ms (after
 * that the bucket is full and the key may go), and return `{ allowed, now, aheads }`. A store that passes
 * `cost` and `slackMs` through to `applyCall` unchanged serves per-band costs and charges too.
 *
 * Two optional fast paths, which the limiter picks once, when it is built:
 * - `synchronous: true`: `update` returns the result itself, never a promise; the limiter reads it at
 *   once (no promise, no timer) and offers `consumeSync`. MemoryStore is one.
 * - `updateInto`: an asynchronous store answers through a callback object, so a decision costs the
 *   limiter one promise and no closures. RedisStore is one.
 */
export interface Store {
  /**
   * True when `update` and `reset` never return a promise. The limiter then offers `consumeSync`, reads
   * each result at once and skips the timeout machinery; a promise from such a store is a store failure.
   */
  readonly synchronous: boolean;
  /**
   * Applies a call of `cost` tokens to `key`, atomically across all bands.
   * `cost` is a whole number of tokens taken from every band, or, when a per-band cost differs between
   * bands, an array of one whole number per band (in the order of `policy.bands`). `slackMs` (whole ms) > 0
   * is a reservation (`wait`): tolerance is widened by that much; `Infinity` is a charge (`charge`): never
   * refused, the bucket may go into debt. `cost` < 0 gives tokens back (a refund, e.g. `refund` or an aborted
   * wait): never refused, never beyond a full bucket. `now` is the limiter's clock in whole ms; a store with
   * a clock of its own (Redis) may use that instead and report it in the result.
   * A synchronous store may return the same result object every time: the limiter reads it at once.
   */
  update(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number): StoreResult | PromiseLike<StoreResult>;
  /**
   * Optional: `update` answering through `callback` instead of a returned value; must call exactly one of
   * `callback.settle` and `callback.fail`, once (now or later), and give the answer `update` would. When
   * present, an asynchronous store's `consume` and `peek` come this way (reservations still use `update`).
   * Throwing counts as `callback.fail`.
   */
  updateInto?(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number, callback: StoreCallback): void;
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

/** A store that implements the optional callback entry point `updateInto`. */
export interface CallbackStore extends Store {
  updateInto(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number, callback: StoreCallback): void;
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
    !(candidate.aheads.length >= bandCount) ||
    !(candidate.now >= 0 && candidate.now <= Number.MAX_SAFE_INTEGER) ||
    !aheadsInRange(candidate.aheads, bandCount)
  ) {
    throw new SluiceStoreError(
      `sluice: the store answered ${describeValue(result)}, not a result { allowed: boolean, now: ms ≥ 0, aheads: one number ≥ 0 per band }`,
    );
  }
  return candidate as StoreResult;
}

/** True when the first `count` aheads are numbers from 0 to 2^53: a TAT ahead of now, never behind it (that is 0). */
function aheadsInRange(aheads: ArrayLike<unknown>, count: number): boolean {
  for (let i = 0; i < count; i++) {
    const ahead = aheads[i];
    if (typeof ahead !== 'number' || !(ahead >= 0 && ahead <= Number.MAX_SAFE_INTEGER)) return false;
  }
  return true;
}
