/**
 * The arms of `npm run bench:http:inprocess`: pure data, shared by the orchestrator (which builds the
 * request rotation) and the server process (which serves every arm and times each request).
 *
 * The arms differ only in the limiter: on Express each arm is an app of its own with the limiter
 * mounted as a user would (`app.use(...)`), picked by the request's `x-arm` header; on Fastify one
 * instance has one route per arm (`/a`, `/b`, ...: static paths of equal length, so the same lookup
 * cost), limited by the sluice plugin or exempted with `config.rateLimit: false`. The peers are arms of
 * one framework only: express-rate-limit an Express app like the others; @fastify/rate-limit a second
 * Fastify instance (it reads the same `config.rateLimit` as sluice's plugin), with a bare arm of its own.
 */
import type { Framework } from '../http/contenders.js';

export type ArmId =
  | 'bare'
  | 'bare2'
  | 'empty'
  | 'sluice'
  | 'sluice-newkey'
  | 'headers-only'
  | 'floor-limiter'
  | 'floor-limiter-newkey'
  | 'async-empty'
  // the peers: express-rate-limit on Express; @fastify/rate-limit on a second Fastify instance, with its own bare arm
  | 'express-rate-limit'
  | 'express-rate-limit-newkey'
  | 'peer-bare'
  | 'fastify-rate-limit'
  | 'fastify-rate-limit-newkey'
  // --diagnose: where the one-client arm's time goes
  | 'sluice-no-headers'
  | 'sluice-no-warnings'
  | 'sluice-fixed-key'
  | 'core-only'
  | 'core-headers'
  | 'sluice-twice'
  | 'floor-only'
  | 'core-ten-calls'
  | 'core-ten-limiters'
  | 'floor-ten-limiters'
  | 'request-guards';

/** The rate-limit headers an arm's response is checked for. */
export type RateLimitHeaderName = 'ratelimit' | 'x-ratelimit-limit';
export const RATE_LIMIT_HEADER_NAMES: readonly RateLimitHeaderName[] = ['ratelimit', 'x-ratelimit-limit'];

export interface Arm {
  readonly id: ArmId;
  /** Row label; `{framework}` is replaced by the framework's name, `{empty}` by what the empty arm mounts. */
  readonly label: string;
  /**
   * The baseline (exactly one), the A/A copy of it, the empty-limiter floor, a sluice arm that is judged, the
   * hand-written limiter a judged arm is held against, a part of one (`--diagnose`), the control of the timer's
   * microtask following (an empty async middleware / hook), a peer limiter a judged arm is held against, or the
   * bare arm of the peer's own Fastify instance (the peer's baseline there).
   */
  readonly role: 'baseline' | 'aa' | 'floor' | 'judged' | 'floor-limiter' | 'diagnostic' | 'control' | 'peer' | 'peer-baseline';
  /** Served on this framework only (the peers' arms); undefined: on both. */
  readonly framework?: Framework;
  /** The arm's route on Fastify (Express arms all serve `/`). */
  readonly fastifyPath: string;
  /** Each request of this arm carries a new `x-bench-key` (the arm's limiter keys on it). */
  readonly newKey: boolean;
  /**
   * The rate-limit header the response must carry (checked on every request, lower case): draft-8 `ratelimit`, or
   * `x-ratelimit-limit` for @fastify/rate-limit's default headers; null: it must carry neither.
   */
  readonly expectedHeader: RateLimitHeaderName | null;
}

export const ARMS: readonly Arm[] = [
  { id: 'bare', label: '{framework} (bare)', role: 'baseline', fastifyPath: '/a', newKey: false, expectedHeader: null },
  { id: 'bare2', label: '{framework} (bare, A/A copy)', role: 'aa', fastifyPath: '/b', newKey: false, expectedHeader: null },
  { id: 'empty', label: '{framework} + {empty} (floor)', role: 'floor', fastifyPath: '/c', newKey: false, expectedHeader: null },
  // Always measured: what the framework charges for the two draft-8 headers alone, a floor under any limiter that sends them.
  {
    id: 'headers-only',
    label: '{framework} + {empty} that sets the same two headers (no limiter)',
    role: 'diagnostic',
    fastifyPath: '/i',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  // Always measured: the least a limiter can add, a hand-written GCRA in a Map with the same two headers (../lib/floorLimiter.ts).
  {
    id: 'floor-limiter',
    label: '{framework} + {empty} with a hand-written GCRA on a Map and the same two headers (floor limiter), one client',
    role: 'floor-limiter',
    fastifyPath: '/m',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'floor-limiter-newkey',
    label: '{framework} + the floor limiter, new key per request',
    role: 'floor-limiter',
    fastifyPath: '/n',
    newKey: true,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'sluice',
    label: '{framework} + sluice, memory, one client',
    role: 'judged',
    fastifyPath: '/d',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'sluice-newkey',
    label: '{framework} + sluice, memory, new key per request',
    role: 'judged',
    fastifyPath: '/e',
    newKey: true,
    expectedHeader: 'ratelimit',
  },
  // What following an asynchronous response through the microtask queue adds (./requestTimer.ts), with nothing in it.
  {
    id: 'async-empty',
    label: '{framework} + {asyncEmpty} (control: the timer following an async response)',
    role: 'control',
    fastifyPath: '/o',
    newKey: false,
    expectedHeader: null,
  },
  // The peers, configured as bench:http configures them, with the limits of the sluice arms of the same key scenario.
  {
    id: 'express-rate-limit',
    label: '{framework} + express-rate-limit, memory, one client (draft-8 headers)',
    role: 'peer',
    framework: 'express',
    fastifyPath: '/p',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'express-rate-limit-newkey',
    label: '{framework} + express-rate-limit, memory, new key per request',
    role: 'peer',
    framework: 'express',
    fastifyPath: '/q',
    newKey: true,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'peer-bare',
    label: '{framework} (bare), second instance: the baseline of @fastify/rate-limit',
    role: 'peer-baseline',
    framework: 'fastify',
    fastifyPath: '/r',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'fastify-rate-limit',
    label: '{framework} + @fastify/rate-limit, memory, one client (second instance)',
    role: 'peer',
    framework: 'fastify',
    fastifyPath: '/s',
    newKey: false,
    expectedHeader: 'x-ratelimit-limit',
  },
  {
    id: 'fastify-rate-limit-newkey',
    label: '{framework} + @fastify/rate-limit, memory, new key per request (second instance)',
    role: 'peer',
    framework: 'fastify',
    fastifyPath: '/t',
    newKey: true,
    expectedHeader: 'x-ratelimit-limit',
  },
];

/**
 * With `--diagnose`: the one-client arm taken apart, each beside the full one in the same rotation:
 * the one-client arm with one thing changed, or one part of its work done alone.
 */
export const DIAGNOSTIC_ARMS: readonly Arm[] = [
  {
    id: 'sluice-no-headers',
    label: '{framework} + sluice with `headers: false`',
    role: 'diagnostic',
    fastifyPath: '/f',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'sluice-no-warnings',
    label: '{framework} + sluice with `warnings: false` (no per-request proxy check)',
    role: 'diagnostic',
    fastifyPath: '/g',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'sluice-fixed-key',
    label: '{framework} + sluice with `key: () => constant` (no IP, no proxy check)',
    role: 'diagnostic',
    fastifyPath: '/h',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'core-only',
    label: '{framework} + {empty} that calls `limiter.consumeSync(ip)` (no headers)',
    role: 'diagnostic',
    fastifyPath: '/j',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'core-headers',
    label: '{framework} + {empty} that calls `limiter.consumeSync(ip)` and writes its headers (no adapter)',
    role: 'diagnostic',
    fastifyPath: '/k',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  {
    id: 'sluice-twice',
    label: '{framework} + sluice, then a second sluice limiter (other limits): the second one runs warm',
    role: 'diagnostic',
    fastifyPath: '/l',
    newKey: false,
    expectedHeader: 'ratelimit',
  },
  // Work or footprint: what a call costs when its code and data were evicted since the last request.
  {
    id: 'floor-only',
    label: "{framework} + {empty} that calls the floor limiter's GCRA (no headers)",
    role: 'diagnostic',
    fastifyPath: '/u',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'core-ten-calls',
    label: '{framework} + {empty} that calls `limiter.consumeSync(ip)` ten times on one limiter (no headers)',
    role: 'diagnostic',
    fastifyPath: '/v',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'core-ten-limiters',
    label: '{framework} + {empty} that calls `consumeSync(ip)` once on each of ten limiters (no headers)',
    role: 'diagnostic',
    fastifyPath: '/w',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'floor-ten-limiters',
    label: "{framework} + {empty} that calls the floor limiter's GCRA once on each of ten of them (no headers)",
    role: 'diagnostic',
    fastifyPath: '/x',
    newKey: false,
    expectedHeader: null,
  },
  {
    id: 'request-guards',
    label:
      "{framework} + {empty} that does the Express adapter's reads and writes on `req`/`res` (answered check, client IP, double-count mark), no limiter",
    role: 'diagnostic',
    framework: 'express',
    fastifyPath: '/y',
    newKey: false,
    expectedHeader: null,
  },
];

export const ALL_ARMS: readonly Arm[] = [...ARMS, ...DIAGNOSTIC_ARMS];

/** The arms of these ids, in ALL_ARMS order, the baseline always among them; throws on an unknown id. */
export function armsByIds(ids: readonly string[]): Arm[] {
  for (const id of ids) {
    if (armById(id) === undefined) throw new Error(`unknown arm ${JSON.stringify(id)}; known: ${ALL_ARMS.map((arm) => arm.id).join(', ')}`);
  }
  return ALL_ARMS.filter((arm) => arm.role === 'baseline' || ids.includes(arm.id));
}

/** Of `arms`, those served on `framework`. */
export function armsOn(framework: string, arms: readonly Arm[]): Arm[] {
  return arms.filter((arm) => arm.framework === undefined || arm.framework === framework);
}

/** Request header that names the arm (the recorder files each request under it, on both frameworks). */
export const ARM_HEADER = 'x-arm';
/** Request header with the per-request key of the new-key arm (as in bench:http's newKey scenario). */
export { KEY_HEADER } from '../http/contenders.js';

/** Limits of the one-client arm: never reached. */
export const ONE_CLIENT_LIMITS = { capacity: 1e9, refillRate: 1e9, interval: 1000 } as const;
/** Limits of the new-key arm: realistic; every key is fresh, so every request is allowed. */
export const NEW_KEY_LIMITS = { capacity: 100, refillRate: 100, interval: '1m' } as const;
/** NEW_KEY_LIMITS' interval in ms, for the limiters that take a number. */
export const NEW_KEY_INTERVAL_MS = 60_000;

export function armLabel(arm: Arm, framework: Framework): string {
  return arm.label
    .replace('{framework}', framework === 'express' ? 'Express 5' : 'Fastify 5')
    .replace('{empty}', framework === 'express' ? 'empty middleware' : 'empty onRequest hook')
    .replace(
      '{asyncEmpty}',
      framework === 'express' ? 'empty middleware calling next() from a resolved promise' : 'empty async onRequest hook',
    );
}

export function armPath(arm: Arm, framework: Framework): string {
  return framework === 'express' ? '/' : arm.fastifyPath;
}

export function armById(id: string): Arm | undefined {
  return ALL_ARMS.find((arm) => arm.id === id);
}
