import { isBranded } from '../core/brand.js';
import type { Decision } from '../core/decision.js';
import { type Duration, parseDuration } from '../core/duration.js';
import { SluiceArgumentError, SluiceConfigError } from '../core/errors.js';
import { type Band, compileBand } from '../core/gcra.js';
import { declareOptions, type ReadOptions } from '../core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../core/peerOptionNames.js';
import type { Store } from '../core/store.js';
import { readArgument, readOption } from '../core/unreadableArgument.js';
import { MemoryStore } from '../stores/memory/memoryStore.js';

/**
 * One band of a limit: `capacity` tokens, refilled at `refillRate` tokens per `interval`. Every limit is
 * counted exactly, or refused at construction with a SluiceConfigError naming the option and the range.
 */
export interface LimitOptions {
  /** Max tokens in the bucket, which is the largest burst: a whole number ≥ 1. */
  capacity: number;
  /**
   * Tokens added per `interval` (continuously, not in steps); may be a fraction, read as the decimal it is
   * written as (`1.5`). refillRate / interval in tokens per ms, in lowest terms p/q, needs p ≤ 2^40 and
   * capacity × q ≤ 2^51: any rate written with a few significant digits.
   */
  refillRate: number;
  /** ms as a number, or `'500ms' | '1s' | '1m' | '1h' | '1d'`. Default 1000 ms. */
  interval?: Duration;
  /** A name for headers (`RateLimit-Policy: "name";q=...`). */
  name?: string;
}

/** A limiter that answers when the store fails (`onStoreError`): a RateLimiter, of this copy of sluice or another. */
export interface FallbackLimiter {
  /** The largest cost its calls accept (its smallest band's capacity). */
  readonly maxCost: number;
  consume(key: string, cost?: number): Promise<Decision>;
  consumeSync(key: string, cost?: number): Decision;
  reset(key: string): Promise<void>;
  /** The largest cost its `charge` accepts; with `charge` and `chargeSync`, absent on a copy of sluice 0.1.0. */
  readonly maxCharge?: number;
  charge?(key: string, cost: number): Promise<Decision>;
  chargeSync?(key: string, cost: number): Decision;
}

/** What the limiter does when the store fails or times out. */
export type StoreErrorPolicy = 'allow' | 'deny' | 'throw' | FallbackLimiter;

/** Reported through `onDegraded` whenever `onStoreError` answered instead of the store. */
export interface DegradedEvent {
  readonly key: string;
  readonly error: unknown;
  /** What answered: `'allow'`, `'deny'`, `'fallback'` (another limiter) or `'throw'`. */
  readonly policy: 'allow' | 'deny' | 'fallback' | 'throw';
}

interface CommonOptions {
  /** Where bucket state lives. Default: a new `MemoryStore`. */
  store?: Store;
  /**
   * Namespaces this limiter's keys in a shared store, together with a fingerprint of its limits: limiters with the
   * same store, prefix and limits share buckets, others never do. Default `'sl:'` (short: in Redis, a shorter key
   * name can take a smaller allocation).
   */
  prefix?: string;
  /**
   * Time source in ms. Default: `Date.now()`, looked up at each call, so fake timers (vitest, sinon) installed
   * after the limiter was built still drive it.
   */
  clock?: () => number;
  /** How long a store call may take before `onStoreError` answers. Default 100 ms. */
  timeoutMs?: number;
  /** What answers when the store fails or times out. Default `'allow'` (fail open). */
  onStoreError?: StoreErrorPolicy;
  /** Called on every decision that `onStoreError` made, so you can alert on it. */
  onDegraded?: (event: DegradedEvent) => void;
  /**
   * Blocks a key that keeps calling over its limit (as rate-limiter-flexible's `blockDuration`): a refused call
   * that asks for tokens pushes each band that refused it out, so every call on the key is refused for
   * `blockDuration` after each refusal (`decision.blocked` is true on every refusal of such a limiter, a `peek`
   * during the block included); then the band holds one token and refills as usual. A refusal during the
   * block starts it again. ms as a number, or a string such as `'15m'`; a whole number of ms (`0.5` or `'1.0005s'`
   * throws a SluiceConfigError naming `blockDuration`); 0 is none, as in rate-limiter-flexible (so a Fastify route
   * can turn off a block it would inherit). Default: none.
   */
  blockDuration?: Duration;
}

/** Options of a one-band limiter. */
export interface SingleBandOptions extends CommonOptions, LimitOptions {
  limits?: undefined;
}

/** Options of a limiter with several bands (e.g. 10 per second and 1000 per day). */
export interface MultiBandOptions extends CommonOptions {
  limits: readonly LimitOptions[];
  capacity?: undefined;
  refillRate?: undefined;
  interval?: undefined;
  name?: undefined;
}

export type RateLimiterOptions = SingleBandOptions | MultiBandOptions;

const STORE_ERROR_POLICIES = new Set<unknown>(['allow', 'deny', 'throw']);

/** The options of one band (top level, or each entry of `limits`). */
const LIMIT_OPTIONS = declareOptions(
  {
    // Checked together with refillRate and interval by compileBand: each one's range depends on the others.
    capacity: (value: unknown) => value as number | undefined,
    refillRate: (value: unknown) => value as number | undefined,
    interval: (value: unknown, path: string): number | undefined => (value === undefined ? undefined : parseDuration(value, path)),
    name: (value: unknown, path: string): string | undefined => {
      // The name goes into a quoted header string; keep it to characters every proxy passes unchanged.
      if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9_.:*-]+$/.test(value))) {
        throw new SluiceConfigError(path, value, 'must be a non-empty string of letters, digits and _ . : * -');
      }
      return value;
    },
  },
  PEER_OPTION_NAMES,
);

type ReadLimit = ReadOptions<typeof LIMIT_OPTIONS.schema>;

/** Compiles one band read by LIMIT_OPTIONS; `where` prefixes option names in errors (e.g. `limits[1]`). */
function compileLimit(limit: ReadLimit, where: string): Band {
  return compileBand(limit.capacity as number, limit.refillRate as number, limit.interval ?? 1000, limit.name, where);
}

/** Every option of a RateLimiter, with its check and default. */
export const RATE_LIMITER_OPTIONS = declareOptions(
  {
    ...LIMIT_OPTIONS.schema,
    limits: (value: unknown, path: string): Band[] | undefined => {
      if (value === undefined) return undefined;
      // Every index, holes too (a hole is a missing limit, not one to skip), the length read once, whatever a
      // Proxy answers later; the first bad entry ends the reading.
      const length: unknown = Array.isArray(value) ? readOption(path, value, () => value.length) : 0;
      if (typeof length !== 'number' || !(length >= 1))
        throw new SluiceConfigError(path, value, 'must be a non-empty array of { capacity, refillRate, interval }');
      const bands: Band[] = [];
      for (let i = 0; i < length; i++) {
        const where = `${path}[${i}]`;
        const limit = readOption(where, value, () => (value as unknown[])[i]);
        if (limit === null || typeof limit !== 'object') {
          throw new SluiceConfigError(where, limit, 'must be an object { capacity, refillRate, interval }');
        }
        bands.push(compileLimit(LIMIT_OPTIONS.read(limit, where), where));
      }
      return bands;
    },
    store: (value: unknown, path: string): Store => {
      if (value === undefined) return new MemoryStore();
      return readOption(path, value, () => checkedStore(value, path));
    },
    prefix: (value: unknown, path: string): string => {
      if (value === undefined) return 'sl:';
      if (typeof value !== 'string') throw new SluiceConfigError(path, value, 'must be a string');
      return value;
    },
    clock: (value: unknown, path: string): (() => number) | undefined => {
      if (value !== undefined && typeof value !== 'function') throw new SluiceConfigError(path, value, 'must be a function returning ms');
      return value as (() => number) | undefined;
    },
    timeoutMs: (value: unknown, path: string): number => {
      if (value === undefined) return 100;
      if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
        throw new SluiceConfigError(path, value, 'must be a positive, finite number of ms');
      }
      return value;
    },
    onStoreError: (value: unknown, path: string): StoreErrorPolicy => {
      if (value === undefined) return 'allow';
      if (!STORE_ERROR_POLICIES.has(value) && !isBranded(value, 'RateLimiter')) {
        throw new SluiceConfigError(path, value, "must be 'allow', 'deny', 'throw' or a fallback RateLimiter");
      }
      return value as StoreErrorPolicy;
    },
    onDegraded: (value: unknown, path: string): ((event: DegradedEvent) => void) | undefined => {
      if (value !== undefined && typeof value !== 'function') throw new SluiceConfigError(path, value, 'must be a function');
      return value as ((event: DegradedEvent) => void) | undefined;
    },
    // The largest block depends on the limits: the limiter checks it once the bands are compiled.
    blockDuration: (value: unknown, path: string): number | undefined => {
      // 0 is no block, as rate-limiter-flexible's default `blockDuration: 0`.
      if (value === undefined || value === 0) return undefined;
      const ms = parseDuration(value, path);
      // A block is counted in the store's whole ms: a fraction would be cut silently, so it is refused.
      if (!Number.isInteger(ms)) throw new SluiceConfigError(path, value, `must be a whole number of ms (it is ${ms} ms)`);
      return ms;
    },
  },
  PEER_OPTION_NAMES,
);

/** The options of one band, as the HTTP options and adapters name them. */
export const LIMIT_OPTION_NAMES = LIMIT_OPTIONS.names;
/** Every RateLimiter option name. */
export const RATE_LIMITER_OPTION_NAMES: readonly string[] = RATE_LIMITER_OPTIONS.names;

/**
 * The options a limiter made beside another takes from it: its store and what it does when the store fails, not
 * its limit or prefix (a plan given as options, a route's own limit under the HTTP adapters).
 */
export const SHARED_LIMITER_OPTION_NAMES = ['store', 'clock', 'timeoutMs', 'onStoreError', 'onDegraded', 'blockDuration'] as const;

/** The options of SHARED_LIMITER_OPTION_NAMES, as a RateLimiter reports them (`RateLimiter.sharedOptions`). */
export type SharedLimiterOptions = Readonly<Pick<RateLimiterOptions, (typeof SHARED_LIMITER_OPTION_NAMES)[number]>>;

/** A RateLimiter's options, read and checked, with the bands compiled. */
export interface LimiterSettings extends Omit<ReadOptions<typeof RATE_LIMITER_OPTIONS.schema>, keyof ReadLimit | 'limits'> {
  readonly bands: readonly Band[];
}

/**
 * Reads a RateLimiter's options: every unknown name in one SluiceConfigError, then each option's check.
 * Throws a SluiceConfigError naming the first unusable option and its value.
 */
export function readLimiterOptions(options: unknown): LimiterSettings {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('options', options, 'must be an object, e.g. { capacity: 20, refillRate: 100, interval: "1m" }');
  }
  readOption('options', options, () => rejectLimitsBeside(options as Record<string, unknown>));
  const { capacity, refillRate, interval, name, limits, ...common } = RATE_LIMITER_OPTIONS.read(options);
  const bands = limits ?? [compileLimit({ capacity, refillRate, interval, name }, '')];
  return { ...common, bands };
}

/** `value` as a Store; throws a SluiceConfigError naming `path` when it lacks `update` or `reset`, or has a bad `updateInto`. */
function checkedStore(value: unknown, path: string): Store {
  const store = value as Partial<Store> | null;
  if (store === null || typeof store !== 'object' || typeof store.update !== 'function' || typeof store.reset !== 'function') {
    throw new SluiceConfigError(path, value, 'must be a Store (an object with update() and reset()), e.g. new MemoryStore()');
  }
  if (store.updateInto !== undefined && typeof store.updateInto !== 'function') {
    throw new SluiceConfigError(`${path}.updateInto`, store.updateInto, 'must be a function when present (see Store)');
  }
  return value as Store;
}

/** Throws a SluiceConfigError for a limit option given beside `limits`. */
function rejectLimitsBeside(given: Record<string, unknown>): void {
  if (given.limits === undefined) return;
  for (const name of LIMIT_OPTION_NAMES) {
    if (given[name] !== undefined) {
      throw new SluiceConfigError(name, given[name], 'cannot be combined with `limits`; put it inside each entry of `limits`');
    }
  }
}

/** `wait()`'s options, for a limiter whose reservations may wait at most `longestWaitMs`. Throws SluiceArgumentErrors. */
export function declareWaitOptions(longestWaitMs: number) {
  return declareOptions(
    {
      maxWaitMs: (value: unknown, path: string): number => {
        const maxWait = value ?? 0;
        if (typeof maxWait !== 'number' || !(maxWait >= 0 && maxWait <= longestWaitMs)) {
          throw new SluiceArgumentError(path, value, `must be a number of ms from 0 to ${longestWaitMs}`);
        }
        // Delays are whole ms: a wait of up to 2.5 ms is a wait of up to 2 ms.
        return Math.floor(maxWait);
      },
      signal: (value: unknown, path: string): AbortSignal | undefined => {
        if (value !== undefined && !readArgument(path, value, () => value instanceof AbortSignal)) {
          throw new SluiceArgumentError(path, value, 'must be an AbortSignal');
        }
        return value as AbortSignal | undefined;
      },
    },
    {},
    'argument',
  );
}
