/**
 * The contenders of `npm run bench:http`: pure data, shared by the orchestrator (which picks and
 * forks them) and the server process (which builds the app for one of them).
 */

export type Framework = 'express' | 'fastify';
export type StoreKind = 'none' | 'memory' | 'redis';
export type Library = 'bare' | 'noop' | 'floor' | 'sluice' | 'express-rate-limit' | 'rate-limiter-flexible' | '@fastify/rate-limit';

export interface HttpContender {
  /** Stable id, used on the command line (`--only`) and in results. */
  readonly id: string;
  /** Row label in the results table. */
  readonly label: string;
  readonly framework: Framework;
  readonly library: Library;
  readonly store: StoreKind;
  /** The bare server every other contender of the framework is compared with (exactly one per framework). */
  readonly baseline?: true;
  /** The second bare server: its distance from the baseline is the noise floor of the run. */
  readonly aaCheck?: true;
  /** Response header the probe expects on a limited app (proves the limiter is really mounted). */
  readonly probeHeader?: string;
  /** sluice's `headers` option, when not its default (draft-8). */
  readonly sluiceHeaders?: 'legacy';
}

export const HTTP_CONTENDERS: readonly HttpContender[] = [
  { id: 'express-bare', label: 'Express 5 (bare)', framework: 'express', library: 'bare', store: 'none', baseline: true },
  { id: 'express-bare-aa', label: 'Express 5 (bare, A/A check)', framework: 'express', library: 'bare', store: 'none', aaCheck: true },
  {
    id: 'express-noop',
    label: 'Express + empty middleware (floor)',
    framework: 'express',
    library: 'noop',
    store: 'none',
  },
  {
    id: 'express-floor-memory',
    label: 'Express + floor limiter (hand-written GCRA on a Map, the same two headers)',
    framework: 'express',
    library: 'floor',
    store: 'memory',
    probeHeader: 'ratelimit',
  },
  {
    id: 'express-sluice-memory',
    label: 'Express + sluice, memory',
    framework: 'express',
    library: 'sluice',
    store: 'memory',
    probeHeader: 'ratelimit',
  },
  {
    id: 'express-sluice-redis',
    label: 'Express + sluice, Redis',
    framework: 'express',
    library: 'sluice',
    store: 'redis',
    probeHeader: 'ratelimit',
  },
  {
    id: 'express-erl-memory',
    label: 'Express + express-rate-limit, memory',
    framework: 'express',
    library: 'express-rate-limit',
    store: 'memory',
    probeHeader: 'ratelimit',
  },
  {
    id: 'express-erl-redis',
    label: 'Express + express-rate-limit + rate-limit-redis',
    framework: 'express',
    library: 'express-rate-limit',
    store: 'redis',
    probeHeader: 'ratelimit',
  },
  {
    id: 'express-rlf-memory',
    label: 'Express + rate-limiter-flexible, memory',
    framework: 'express',
    library: 'rate-limiter-flexible',
    store: 'memory',
  },
  {
    id: 'express-rlf-redis',
    label: 'Express + rate-limiter-flexible, Redis',
    framework: 'express',
    library: 'rate-limiter-flexible',
    store: 'redis',
  },
  { id: 'fastify-bare', label: 'Fastify 5 (bare)', framework: 'fastify', library: 'bare', store: 'none', baseline: true },
  { id: 'fastify-bare-aa', label: 'Fastify 5 (bare, A/A check)', framework: 'fastify', library: 'bare', store: 'none', aaCheck: true },
  {
    id: 'fastify-noop',
    label: 'Fastify + empty onRequest hook (floor)',
    framework: 'fastify',
    library: 'noop',
    store: 'none',
  },
  {
    id: 'fastify-floor-memory',
    label: 'Fastify + floor limiter (hand-written GCRA on a Map, the same two headers)',
    framework: 'fastify',
    library: 'floor',
    store: 'memory',
    probeHeader: 'ratelimit',
  },
  {
    id: 'fastify-sluice-memory',
    label: 'Fastify + sluice, memory',
    framework: 'fastify',
    library: 'sluice',
    store: 'memory',
    probeHeader: 'ratelimit',
  },
  {
    id: 'fastify-sluice-memory-legacy',
    label: "Fastify + sluice, memory, the peer's headers (`headers: 'legacy'`)",
    framework: 'fastify',
    library: 'sluice',
    store: 'memory',
    probeHeader: 'x-ratelimit-limit',
    sluiceHeaders: 'legacy',
  },
  {
    id: 'fastify-sluice-redis',
    label: 'Fastify + sluice, Redis',
    framework: 'fastify',
    library: 'sluice',
    store: 'redis',
    probeHeader: 'ratelimit',
  },
  {
    id: 'fastify-frl-memory',
    label: 'Fastify + @fastify/rate-limit, memory',
    framework: 'fastify',
    library: '@fastify/rate-limit',
    store: 'memory',
    probeHeader: 'x-ratelimit-limit',
  },
  {
    id: 'fastify-frl-redis',
    label: 'Fastify + @fastify/rate-limit, Redis',
    framework: 'fastify',
    library: '@fastify/rate-limit',
    store: 'redis',
    probeHeader: 'x-ratelimit-limit',
  },
];

export function contenderById(id: string): HttpContender {
  const contender = HTTP_CONTENDERS.find((candidate) => candidate.id === id);
  if (contender === undefined) {
    throw new Error(`unknown contender ${JSON.stringify(id)}; known: ${HTTP_CONTENDERS.map((c) => c.id).join(', ')}`);
  }
  return contender;
}

/** The two scenarios; each server process serves both, one app per scenario on its own port. */
export type Scenario = 'overhead' | 'newKey';

export const SCENARIOS: readonly { readonly id: Scenario; readonly title: string; readonly description: string }[] = [
  {
    id: 'overhead',
    title: 'Pure overhead (one client, limits never reached)',
    description:
      'Every request from the one loopback client IP (each library keys on the IP by default); limits of 10^6 and more, so nothing is refused.',
  },
  {
    id: 'newKey',
    title: 'A new key on every request',
    description:
      'The key comes from an `x-bench-key` header that autocannon fills with a new id on every request (sluice `key`, express-rate-limit and @fastify/rate-limit `keyGenerator`, rate-limiter-flexible key); limits of 100 per minute, so every key is allowed and lives on in the store.',
  },
];

/** Header carrying the per-request key in the `newKey` scenario. */
export const KEY_HEADER = 'x-bench-key';

/** Limits: huge for `overhead` (never reached from one key), realistic for `newKey` (every key is fresh anyway). */
export const LIMITS = {
  overhead: { capacity: 1_000_000, refillRate: 1_000_000, intervalMs: 1000 },
  newKey: { capacity: 100, refillRate: 100, intervalMs: 60_000 },
} as const satisfies Record<Scenario, { capacity: number; refillRate: number; intervalMs: number }>;
