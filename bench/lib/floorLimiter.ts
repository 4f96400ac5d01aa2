/**
 * The floor limiter of `npm run bench:http:inprocess` (its floor-limiter arms) and of `npm run bench:http` (its floor
 * contenders): the least a rate limiter keyed per client can do per request, written by hand. One GCRA on a `Map` of TATs (ms), the clock read once, no options, no checks,
 * no double-count guard, no bound on the keys, and the same two draft-8 headers sluice sends. What this adds
 * beyond the headers-only arm (in process) or beyond the bare server (whole server) is a floor under any limiter in the
 * same framework: sluice is held against it in the same run.
 */

/** A limit as the bench arms give it: `capacity` tokens, refilled at `refillRate` per `intervalMs`. */
export interface FloorLimits {
  readonly capacity: number;
  readonly refillRate: number;
  readonly intervalMs: number;
}

/** Takes one token from `key`'s bucket: the tokens left (≥ 0), or -1 when refused. */
export type FloorTake = (key: string) => number;

export function floorLimiter(limits: FloorLimits): FloorTake {
  const emissionMs = limits.intervalMs / limits.refillRate;
  const burstMs = limits.capacity * emissionMs;
  const tats = new Map<string, number>();
  return (key) => {
    const now = Date.now();
    const stored = tats.get(key);
    const tat = (stored === undefined || stored < now ? now : stored) + emissionMs;
    if (tat - now > burstMs) return -1;
    tats.set(key, tat);
    return Math.floor((burstMs - (tat - now)) / emissionMs);
  };
}

/** The `RateLimit` value sluice sends for a one-band limiter named `default` whose bucket has tokens left. */
export function floorRateLimitValue(remaining: number): string {
  return `"default";r=${remaining};t=0`;
}

/** The `RateLimit-Policy` value sluice sends for a one-band limiter named `default` with these limits. */
export function floorPolicyValue(limits: FloorLimits): string {
  return `"default";q=${limits.capacity};w=${limits.intervalMs / 1000}`;
}
