/**
 * The contenders of `npm run bench:core`: sluice's MemoryStore and its peers, each behind the same
 * tiny interface so the harness treats them alike. Limits are high enough that nothing is refused:
 * the benchmark measures the cost of a decision, not of a denial.
 */
import { TokenBucket } from 'limiter';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { MemoryStore, RateLimiter } from '../../src/index.js';

export interface Contender {
  readonly name: string;
  /** True when `take` returns a promise that the harness must await. */
  readonly async: boolean;
  /** Sets up a fresh instance and returns its per-call function. `lasting` makes buckets stay non-full (memory runs). */
  make(options: { lasting: boolean }): (key: string) => unknown;
}

const HIGH = 1e9;

/** The floor: the least a keyed token bucket can do, an object per key in a Map. */
function floorBucket({ lasting }: { lasting: boolean }) {
  const capacity = lasting ? 10 : HIGH;
  const perMs = lasting ? 1e-6 : HIGH / 1000;
  const buckets = new Map<string, { tokens: number; last: number }>();
  return (key: string): boolean => {
    const now = Date.now();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: capacity, last: now };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.last) * perMs);
    bucket.last = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
}

function sluice({ lasting }: { lasting: boolean }) {
  return new RateLimiter(
    lasting
      ? { capacity: 10, refillRate: 1, interval: '1h', store: new MemoryStore({ maxKeys: 2_000_000, maxBytes: 2 ** 30 }) }
      : { capacity: HIGH, refillRate: HIGH, interval: '1s' },
  );
}

export const CONTENDERS: readonly Contender[] = [
  { name: 'floor (hand-written, sync)', async: false, make: floorBucket },
  {
    name: 'floor (hand-written, async)',
    async: true,
    make(options) {
      const take = floorBucket(options);
      return async (key: string) => take(key);
    },
  },
  {
    name: 'sluice consumeSync',
    async: false,
    make(options) {
      const limiter = sluice(options);
      return (key: string) => limiter.consumeSync(key);
    },
  },
  {
    name: 'sluice consume',
    async: true,
    make(options) {
      const limiter = sluice(options);
      return (key: string) => limiter.consume(key);
    },
  },
  {
    name: 'rate-limiter-flexible Memory',
    async: true,
    make({ lasting }) {
      const limiter = new RateLimiterMemory(lasting ? { points: 10, duration: 3600 } : { points: HIGH, duration: 1 });
      return (key: string) => limiter.consume(key);
    },
  },
  {
    name: 'limiter TokenBucket (Map of buckets)',
    async: false,
    make({ lasting }) {
      const buckets = new Map<string, TokenBucket>();
      const options = lasting
        ? { bucketSize: 10, tokensPerInterval: 1, interval: 'hour' as const }
        : { bucketSize: HIGH, tokensPerInterval: HIGH, interval: 'second' as const };
      return (key: string) => {
        let bucket = buckets.get(key);
        if (bucket === undefined) {
          bucket = new TokenBucket(options);
          buckets.set(key, bucket);
        }
        return bucket.tryRemoveTokens(1);
      };
    },
  },
];
