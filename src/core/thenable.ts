/**
 * Whether a value is a promise (any thenable), as a store's or a user callback's answer may be. Only objects
 * are looked at, so a plain string, number or boolean costs a `typeof`; a value whose `then` cannot even be
 * read (a revoked Proxy, a throwing getter) is no promise, and is then judged as the value it is.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  if (typeof value !== 'object') return false;
  if (value === null) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
