/** Base class of every error sluice throws, so callers can catch them all at once. */
export class SluiceError extends Error {
  override name = 'SluiceError';
}

/** Formats a value for an error message without throwing on odd inputs (symbols, cycles, BigInt). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? Object.prototype.toString.call(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** An option passed to a constructor or factory is invalid. Thrown at construction time. */
export class SluiceConfigError extends SluiceError {
  override name = 'SluiceConfigError';
  constructor(
    /** The option path, e.g. `capacity` or `limits[1].interval`. */
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`sluice: option \`${option}\` ${expected}; got ${describeValue(value)}`);
  }
}

/** An argument of a call (`key`, `cost`, `maxWaitMs`...) is invalid. */
export class SluiceArgumentError extends SluiceError {
  override name = 'SluiceArgumentError';
  constructor(
    readonly argument: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`sluice: argument \`${argument}\` ${expected}; got ${describeValue(value)}`);
  }
}

/**
 * The cost of a call is larger than a band's capacity, so it could never be granted.
 * A RangeError rather than an eternal denial, because it is a programming error.
 */
export class CostExceedsCapacityError extends RangeError {
  override name = 'CostExceedsCapacityError';
  constructor(
    readonly cost: number,
    readonly capacity: number,
  ) {
    super(`sluice: argument \`cost\` must be at most the capacity (${capacity}), or the call could never succeed; got ${cost}`);
  }
}

/** The store failed or timed out and the limiter's `onStoreError` policy is `'throw'`. */
export class SluiceStoreError extends SluiceError {
  override name = 'SluiceStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A store call took longer than the limiter's `timeoutMs`. */
export class StoreTimeoutError extends SluiceStoreError {
  override name = 'StoreTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`sluice: the store did not answer within timeoutMs (${timeoutMs} ms)`);
  }
}
