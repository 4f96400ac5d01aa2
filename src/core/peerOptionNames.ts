import type { PeerOptionNames } from './optionSchema.js';

/**
 * Option names of express-rate-limit (ERL), @fastify/rate-limit (FRL) and rate-limiter-flexible (RLF), each
 * with the sluice option to use instead. An unknown option with one of these names gets this hint rather
 * than a typo suggestion (`limit` is not a typo of `limits`). MIGRATING.md has the full tables.
 */
export const PEER_OPTION_NAMES = {
  windowMs: 'use `interval` (with `capacity` and `refillRate`: `{ capacity: max, refillRate: max, interval: windowMs }`)',
  max: 'use `capacity` (the burst) and `refillRate` (tokens per `interval`); a function of the request: use `plans` + `plan`',
  limit: 'use `capacity` (the burst) and `refillRate` (tokens per `interval`); a function of the request: use `plans` + `plan`',
  points: 'use `capacity` (the burst) and `refillRate` (tokens per `interval`)',
  duration: 'use `interval` (rate-limiter-flexible counts `duration` in seconds; sluice takes ms or `"1 minute"`)',
  timeWindow: 'use `interval` (ms or a string such as `"1 minute"`)',
  keyPrefix: 'use `prefix`',
  nameSpace: 'use `prefix`',
  storeClient: 'use `store: new RedisStore({ client })`',
  redis: 'use `store: new RedisStore({ client })`',
  cache: 'use `store: new MemoryStore({ maxKeys })`',
  keyGenerator: 'use `key: (req) => string`',
  handler: 'use `onLimited: (req, res, decision) => ...`',
  errorResponseBuilder: 'use `message: (req, decision) => body` (and `statusCode`)',
  onExceeded: 'use `onDecision` (called with every decision) or `onLimited`',
  onExceeding: 'use `onDecision` (called with every decision)',
  standardHeaders: "use `headers: 'draft-8' | 'draft-7' | 'draft-6' | 'legacy' | 'both' | false`",
  legacyHeaders: "use `headers: 'legacy'` or `'both'`",
  enableDraftSpec: "use `headers: 'draft-8'` (the default)",
  addHeaders: 'use `headers` (one mode for every response)',
  addHeadersOnExceeding: 'use `headers` (one mode for every response)',
  passOnStoreError: "use `onStoreError: 'allow'` (the default) or `'deny'`",
  skipOnError: "use `onStoreError: 'allow'` (the default)",
  execEvenly: 'use `delay: { maxWaitMs }` (HTTP: hold an over-limit request until its token is due) or `limiter.wait(key)`',
  execEvenlyMinDelayMs: 'use `delay: { maxWaitMs }` (held requests are released at the refill rate)',
  requestPropertyName: 'read `req.rateLimit` (Fastify: `request.rateLimit`) or `rateLimitOf(req)`',
  skipSuccessfulRequests:
    'use `finalCost: (req, res, { finished }) => (finished && res.statusCode < 400 ? 0 : 1)` (settled after the response)',
  skipFailedRequests:
    'use `finalCost: (req, res, { finished }) => (finished && res.statusCode < 400 ? 1 : 0)` (settled after the response)',
  requestWasSuccessful: 'use `finalCost: (req, res, { finished }) => (finished && succeeded(req, res) ? 0 : 1)`',
  ban: 'use `blockDuration` (on the limiter) with `blocked: { statusCode: 403 }`',
  continueExceeding: 'use `blockDuration`: a refused call then blocks the key for that long',
  global:
    "@fastify/rate-limit's `global` is an option of sluice's Fastify plugin only, not of a route; with Express, mount the middleware on the routes to limit",
  validate: 'sluice validates every option at construction and warns once about proxy setup (`warnings`)',
} as const satisfies PeerOptionNames;

/** A peer library's option name that sluice answers with its own option. */
export type PeerOptionName = keyof typeof PEER_OPTION_NAMES;
