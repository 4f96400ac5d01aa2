/**
 * The timer functions as they were when sluice was loaded, for housekeeping that has no meaning in the
 * limiter's time: sending the Redis calls batched during one event-loop turn, and sweeping full buckets out
 * of memory. Fake timers that a test suite installs later (vitest, sinon) replace the globals; scheduled
 * through them, this work would wait until the test advances time (a Redis call would never be sent), and be
 * lost when the fakes are removed (the sweep would stop for good). Timing the user can see (store timeouts,
 * `wait`) keeps using the globals, so fake timers drive it.
 */
export const realSetImmediate: typeof setImmediate = globalThis.setImmediate;
export const realSetInterval: typeof setInterval = globalThis.setInterval;
export const realClearInterval: typeof clearInterval = globalThis.clearInterval;
