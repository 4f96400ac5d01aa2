import type { Store } from './store.js';

/**
 * The `update` functions of sluice's own synchronous stores, which always return a well-formed
 * StoreResult. The limiter skips `checkedStoreResult` for a store whose `update` is one of them; any other
 * store (a user's, or a subclass that overrides `update`) is checked. Not exported from the package, so only
 * sluice's own code can vouch.
 */
const vouched = new WeakSet<object>();

/** Records `update` as one that never answers a malformed result (called once, by the store's class). */
export function vouchForResults(update: Store['update']): void {
  vouched.add(update);
}

/** True when `store.update` is one that sluice vouched for. */
export function answersWellFormed(store: Store): boolean {
  return vouched.has(store.update);
}
