/**
 * `setImmediate` as it was when sluice was loaded, for work that only has to wait for the end of the current
 * event-loop turn and has no meaning in the limiter's time: sending the Redis calls batched during one turn,
 * and continuing a chunked sweep of the memory store. Fake timers that a test suite installs later (vitest,
 * sinon) replace the global; scheduled through it, a Redis call would not be sent until the test advanced
 * time, and a sweep cut short by removing the fakes would never finish. Timers the user can see (store
 * timeouts, `wait`, the sweep interval) keep using the globals, so fake timers drive them.
 */
export const realSetImmediate: typeof setImmediate = globalThis.setImmediate;
