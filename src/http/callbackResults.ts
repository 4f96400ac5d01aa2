/**
 * What the user callbacks of the HTTP options return: a value or a promise of one, and for `key` and
 * `cost` a value that must be usable. Each unusable value takes one path, the same on every store: a
 * `SluiceArgumentError` for the framework's error handler, never a request that skips the limiter.
 */
import { describeValue, SluiceArgumentError, SluiceError } from '../core/errors.js';
import { isThenable } from '../core/thenable.js';
import type { Cost } from '../limiter/callCost.js';

export { isThenable };

/** A callback's result: the value, or a promise (any thenable) of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * The bucket key a `key` function returned: a non-empty string as it is, a finite number (a numeric
 * user id) as its decimal string. Throws a SluiceArgumentError for anything else (undefined, null, '',
 * NaN, a boolean, an object...): an optional field that is missing must not become a shared or free bucket.
 */
export function usableKey(value: unknown): string {
  if (typeof value === 'string' && value.length !== 0) return value;
  if (Number.isFinite(value)) return String(value);
  throw new SluiceArgumentError(
    'key',
    value,
    'must return a non-empty string or a finite number (or a promise of one); return a fallback such as the client IP for requests that lack the field',
  );
}

/**
 * The tokens a `cost` function returned: a whole number ≥ 0, or an object of them by band name (which the
 * limiter checks against its bands); else a SluiceArgumentError, the same for every kind of number that is not a
 * whole one (a fraction, a negative number, NaN, Infinity).
 */
export function usableCost(value: unknown): Cost {
  if (Number.isInteger(value) && (value as number) >= 0) return value as number;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !isThenable(value)) return value as Cost;
  throw new SluiceArgumentError(
    'cost',
    value,
    'must return a whole number of tokens ≥ 0, or an object of them by band name (or a promise of one)',
  );
}

/**
 * What a callback threw or rejected with, as an error the framework treats as one: Express reads a
 * falsy `next(value)` as success and `next('route')` as a jump, so a non-Error is wrapped.
 */
export function asError(thrown: unknown): unknown {
  let isError = false;
  let inspectable = true;
  try {
    isError = thrown instanceof Error;
    Reflect.ownKeys(Object(thrown));
  } catch {
    // A proxy whose traps throw (or a revoked one): not an Error to hand on, and not one a logger can inspect
    // as a `cause` either (Express 5's default handler logs the error it gets, cause and all).
    inspectable = false;
  }
  if (isError) return thrown;
  const message = `sluice: a callback threw or rejected with ${describeValue(thrown)}, not an Error`;
  return new SluiceError(message, inspectable ? { cause: thrown } : undefined);
}
