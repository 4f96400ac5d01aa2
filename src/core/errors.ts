import { brand, isInstance } from './brand.js';
import { describeName, describeValue } from './describeValue.js';

// Modules that build messages of their own (warnings) take it from here, with the errors.
export { describeValue };

/**
 * Base class of every error sluice throws or rejects with, so callers can catch them all at once. `instanceof`
 * works on the errors of every copy of sluice in the process (its ESM and CJS builds, say).
 */
export class SluiceError extends Error {
  override name = 'SluiceError';
  static {
    brand(SluiceError, 'SluiceError');
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asked about, maybe a user's subclass
    return isInstance(this, value);
  }
}

/**
 * Keeps the bad value on the error without showing it to `util.inspect` (and so to `console.error` and
 * loggers): the message already describes it in a bounded way, a large value would be dumped whole, and a
 * hostile one (a revoked Proxy) would make the logging itself throw.
 */
function holdValue(error: Error, value: unknown): void {
  Object.defineProperty(error, 'value', { value, enumerable: false, writable: false, configurable: true });
}

/** An option passed to a constructor or factory is invalid. Thrown at construction time. */
export class SluiceConfigError extends SluiceError {
  override name = 'SluiceConfigError';
  static {
    brand(SluiceConfigError, 'SluiceConfigError');
  }
  /** The value the option got (not enumerable: see `holdValue`). */
  declare readonly value: unknown;
  constructor(
    /** The option path, e.g. `capacity` or `limits[1].interval`. */
    readonly option: string,
    value: unknown,
    expected: string,
  ) {
    super(`sluice: option \`${describeName(option)}\` ${expected}; got ${describeValue(value)}`);
    holdValue(this, value);
  }
}

/** An argument of a call (`key`, `cost`, `maxWaitMs`...) is invalid. */
export class SluiceArgumentError extends SluiceError {
  override name = 'SluiceArgumentError';
  static {
    brand(SluiceArgumentError, 'SluiceArgumentError');
  }
  /** The value the argument got (not enumerable: see `holdValue`). */
  declare readonly value: unknown;
  constructor(
    readonly argument: string,
    value: unknown,
    expected: string,
  ) {
    super(`sluice: argument \`${describeName(argument)}\` ${expected}; got ${describeValue(value)}`);
    holdValue(this, value);
  }
}

/**
 * The cost of a call is larger than a band's capacity, so it could never be granted. A rejection rather
 * than an eternal denial, because it is a programming error. A SluiceArgumentError for the argument `cost`.
 */
export class CostExceedsCapacityError extends SluiceArgumentError {
  override name = 'CostExceedsCapacityError';
  static {
    brand(CostExceedsCapacityError, 'CostExceedsCapacityError');
  }
  constructor(
    readonly cost: number,
    readonly capacity: number,
    /** The argument: `cost`, or `cost.<band>` for one band's part of a per-band cost. */
    argument = 'cost',
  ) {
    super(argument, cost, `must be at most the capacity (${capacity}), or the call could never succeed`);
  }
}

/** The store failed or timed out and the limiter's `onStoreError` policy is `'throw'`. */
export class SluiceStoreError extends SluiceError {
  override name = 'SluiceStoreError';
  static {
    brand(SluiceStoreError, 'SluiceStoreError');
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A store call took longer than the limiter's `timeoutMs`. */
export class StoreTimeoutError extends SluiceStoreError {
  override name = 'StoreTimeoutError';
  static {
    brand(StoreTimeoutError, 'StoreTimeoutError');
  }
  constructor(readonly timeoutMs: number) {
    super(`sluice: the store did not answer within timeoutMs (${timeoutMs} ms)`);
  }
}
