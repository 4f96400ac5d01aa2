import { type Duration, parseDuration } from '../core/duration.js';
import { SluiceConfigError } from '../core/errors.js';
import { type Band, compileBand } from '../core/gcra.js';
import { rejectUnknownOptions } from '../core/optionSchema.js';
import type { Store } from '../core/store.js';
import type { RateLimiter } from './rateLimiter.js';

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

/** What the limiter does when the store fails or times out. */
export type StoreErrorPolicy = 'allow' | 'deny' | 'throw' | RateLimiter;

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

export const LIMIT_OPTION_NAMES = ['capacity', 'refillRate', 'interval', 'name'] as const;
const COMMON_OPTION_NAMES = ['store', 'prefix', 'clock', 'timeoutMs', 'onStoreError', 'onDegraded'] as const;
export const RATE_LIMITER_OPTION_NAMES: readonly string[] = [...LIMIT_OPTION_NAMES, 'limits', ...COMMON_OPTION_NAMES];

/** Validates and compiles one band; `where` prefixes option names in errors (e.g. `limits[1]`). */
export function compileLimit(limit: LimitOptions, where: string): Band {
  const path = (name: string) => (where ? `${where}.${name}` : name);
  const intervalMs = limit.interval === undefined ? 1000 : parseDuration(limit.interval, path('interval'));
  if (limit.name !== undefined && (typeof limit.name !== 'string' || !/^[A-Za-z0-9_.:*-]+$/.test(limit.name))) {
    // The name goes into a quoted header string; keep it to characters every proxy passes unchanged.
    throw new SluiceConfigError(path('name'), limit.name, 'must be a non-empty string of letters, digits and _ . : * -');
  }
  return compileBand(limit.capacity, limit.refillRate, intervalMs, limit.name, where);
}

/** Validates the band options of a limiter and compiles them. */
export function compileBands(options: RateLimiterOptions): Band[] {
  if (options.limits !== undefined) {
    for (const name of LIMIT_OPTION_NAMES) {
      if (options[name] !== undefined) {
        throw new SluiceConfigError(name, options[name], 'cannot be combined with `limits`; put it inside each entry of `limits`');
      }
    }
    if (!Array.isArray(options.limits) || options.limits.length === 0) {
      throw new SluiceConfigError('limits', options.limits, 'must be a non-empty array of { capacity, refillRate, interval }');
    }
    return options.limits.map((limit: unknown, i: number) => {
      if (limit === null || typeof limit !== 'object') {
        throw new SluiceConfigError(`limits[${i}]`, limit, 'must be an object { capacity, refillRate, interval }');
      }
      rejectUnknownOptions(limit, LIMIT_OPTION_NAMES, `limits[${i}]`);
      return compileLimit(limit as LimitOptions, `limits[${i}]`);
    });
  }
  return [compileLimit(options, '')];
}
