/**
 * The arms of `npm run bench:http:inprocess`: pure data, shared by the orchestrator (which builds the
 * request rotation) and the server process (which serves every arm and times each request).
 *
 * The arms differ only in the limiter: on Express each arm is an app of its own with the limiter
 * mounted as a user would (`app.use(...)`), picked by the request's `x-arm` header; on Fastify one
 * instance has one route per arm (`/a`, `/b`, ...: static paths of equal length, so the same lookup
 * cost), limited by the sluice plugin or exempted with `config.rateLimit: false`.
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
  // --diagnose: where the one-client arm's time goes
  | 'sluice-no-headers'
  | 'sluice-no-warnings'
  | 'sluice-fixed-key'
  | 'core-only'
  | 'core-headers'
  | 'sluice-twice';

export interface Arm {
  readonly id: ArmId;
  /** Row label; `{framework}` is replaced by the framework's name, `{empty}` by what the empty arm mounts. */
  readonly label: string;
  /**
   * The baseline (exactly one), the A/A copy of it, the empty-limiter floor, a sluice arm that is judged, the
   * hand-written limiter a judged arm is held against, or a part of one (`--diagnose`).
   */
  readonly role: 'baseline' | 'aa' | 'floor' | 'judged' | 'floor-limiter' | 'diagnostic';
  /** The arm's route on Fastify (Express arms all serve `/`). */
  readonly fastifyPath: string;
  /** Each request of this arm carries a new `x-bench-key` (the arm's limiter keys on it). */
  readonly newKey: boolean;
  /** The response carries the draft-8 `RateLimit` header (checked on every request). */
  readonly rateLimitHeader: boolean;
}

export const ARMS: readonly Arm[] = [
  { id: 'bare', label: '{framework} (bare)', role: 'baseline', fastifyPath: '/a', newKey: false, rateLimitHeader: false },
  { id: 'bare2', label: '{framework} (bare, A/A copy)', role: 'aa', fastifyPath: '/b', newKey: false, rateLimitHeader: false },
  { id: 'empty', label: '{framework} + {empty} (floor)', role: 'floor', fastifyPath: '/c', newKey: false, rateLimitHeader: false },
  // Always measured: what the framework charges for the two draft-8 headers alone, a floor under any limiter that sends them.
  {
    id: 'headers-only',
    label: '{framework} + {empty} that sets the same two headers (no limiter)',
    role: 'diagnostic',
    fastifyPath: '/i',
    newKey: false,
    rateLimitHeader: true,
  },
  // Always measured: the least a limiter can add, a hand-written GCRA in a Map with the same two headers (./floorLimiter.ts).
  {
    id: 'floor-limiter',
    label: '{framework} + {empty} with a hand-written GCRA on a Map and the same two headers (floor limiter), one client',
    role: 'floor-limiter',
    fastifyPath: '/m',
    newKey: false,
    rateLimitHeader: true,
  },
  {
    id: 'floor-limiter-newkey',
    label: '{framework} + the floor limiter, new key per request',
    role: 'floor-limiter',
    fastifyPath: '/n',
    newKey: true,
    rateLimitHeader: true,
  },
  {
    id: 'sluice',
    label: '{framework} + sluice, memory, one client',
    role: 'judged',
    fastifyPath: '/d',
    newKey: false,
    rateLimitHeader: true,
  },
  {
    id: 'sluice-newkey',
    label: '{framework} + sluice, memory, new key per request',
    role: 'judged',
    fastifyPath: '/e',
    newKey: true,
    rateLimitHeader: true,
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
    rateLimitHeader: false,
  },
  {
    id: 'sluice-no-warnings',
    label: '{framework} + sluice with `warnings: false` (no per-request proxy check)',
    role: 'diagnostic',
    fastifyPath: '/g',
    newKey: false,
    rateLimitHeader: true,
  },
  {
    id: 'sluice-fixed-key',
    label: '{framework} + sluice with `key: () => constant` (no IP, no proxy check)',
    role: 'diagnostic',
    fastifyPath: '/h',
    newKey: false,
    rateLimitHeader: true,
  },
  {
    id: 'core-only',
    label: '{framework} + {empty} that calls `limiter.consumeSync(ip)` (no headers)',
    role: 'diagnostic',
    fastifyPath: '/j',
    newKey: false,
    rateLimitHeader: false,
  },
  {
    id: 'core-headers',
    label: '{framework} + {empty} that calls `limiter.consumeSync(ip)` and writes its headers (no adapter)',
    role: 'diagnostic',
    fastifyPath: '/k',
    newKey: false,
    rateLimitHeader: true,
  },
  {
    id: 'sluice-twice',
    label: '{framework} + sluice, then a second sluice limiter (other limits): the second one runs warm',
    role: 'diagnostic',
    fastifyPath: '/l',
    newKey: false,
    rateLimitHeader: true,
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

/** Request header that names the arm (the recorder files each request under it, on both frameworks). */
export const ARM_HEADER = 'x-arm';
/** Request header with the per-request key of the new-key arm (as in bench:http's newKey scenario). */
export { KEY_HEADER } from '../http/contenders.js';

/** Limits of the one-client arm: never reached. */
export const ONE_CLIENT_LIMITS = { capacity: 1e9, refillRate: 1e9, interval: 1000 } as const;
/** Limits of the new-key arm: realistic; every key is fresh, so every request is allowed. */
export const NEW_KEY_LIMITS = { capacity: 100, refillRate: 100, interval: '1m' } as const;

export function armLabel(arm: Arm, framework: Framework): string {
  return arm.label
    .replace('{framework}', framework === 'express' ? 'Express 5' : 'Fastify 5')
    .replace('{empty}', framework === 'express' ? 'empty middleware' : 'empty onRequest hook');
}

export function armPath(arm: Arm, framework: Framework): string {
  return framework === 'express' ? '/' : arm.fastifyPath;
}

export function armById(id: string): Arm | undefined {
  return ALL_ARMS.find((arm) => arm.id === id);
}
