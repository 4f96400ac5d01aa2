/**
 * Mutation runs only (vitest.mutation.config.ts): a `fetch()` that has no response within FETCH_DEADLINE_MS rejects,
 * so a mutant that leaves a request unanswered (a middleware that never calls `next()`) fails its test at once,
 * instead of holding the test runner until StrykerJS' per-mutant timeout, which restarts the runner. No test holds a
 * request for more than a few seconds; a request that passes a `signal` of its own keeps it.
 */
const FETCH_DEADLINE_MS = 5_000;

const fetchWithoutDeadline = globalThis.fetch;
globalThis.fetch = (input, init) =>
  fetchWithoutDeadline(input, init?.signal ? init : { ...init, signal: AbortSignal.timeout(FETCH_DEADLINE_MS) });
