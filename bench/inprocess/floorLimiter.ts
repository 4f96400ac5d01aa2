/**
 * The floor-limiter arms of `npm run bench:http:inprocess`: the least a rate limiter keyed per client can do
 * per request, written by hand. One GCRA on a `Map` of TATs (ms), the clock read once, no options, no checks,
 * no double-count guard, no bound on the keys, and the same two draft-8 headers sluice sends. What this adds
 * beyond the headers-only arm is a floor under any limiter in the same framework: a judged sluice arm is held
 * against it in the same run.
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
