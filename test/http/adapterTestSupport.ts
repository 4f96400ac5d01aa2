/** What the Express and Fastify adapter tests share: warning capture, a turn of the event loop, the stores to run on. */
import { afterEach, beforeEach } from 'vitest';
import { resetWarnings } from '../../src/http/warnings.js';
import { RedisStore, type Store } from '../../src/index.js';
import { redisClient, redisClusterClient, redisClusterNodes, redisOptions, uniquePrefix } from '../setup/redisTarget.js';

export interface CapturedWarning {
  readonly code: string | undefined;
  readonly message: string;
}

/** Collects the SluiceWarnings of each test (the one-time flags are reset before each). */
export function captureWarnings(): CapturedWarning[] {
  const warnings: CapturedWarning[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.name === 'SluiceWarning') warnings.push({ code: warning.code, message: warning.message });
  };
  beforeEach(() => {
    resetWarnings();
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });
  return warnings;
}

/** process.emitWarning reports on the next tick. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The stores every adapter test runs on: memory, and Redis when the test setup started one; with `cluster`, also
 * the Redis Cluster (for tests about key names).
 */
export function storeVariants(name: string, { cluster = false } = {}): [string, (() => StoreOptions) | undefined][] {
  const single = redisOptions();
  const variants: [string, (() => StoreOptions) | undefined][] = [
    ['memory', () => ({})],
    ['redis', single && (() => ({ store: new RedisStore({ client: redisClient() }), prefix: uniquePrefix(name) }))],
  ];
  const nodes = cluster ? redisClusterNodes() : undefined;
  if (cluster) {
    // A new cluster client first fetches the slot map, which in a loaded test run can outlast the default 100 ms timeout.
    const options = () => ({ store: new RedisStore({ client: redisClusterClient() }), prefix: uniquePrefix(name), timeoutMs: 5000 });
    variants.push(['redis cluster', nodes && options]);
  }
  return variants;
}

type StoreOptions = { store?: Store; prefix?: string; timeoutMs?: number };

/** The rate-limit headers of a response (RateLimit*, X-RateLimit-*, Retry-After), by lower-case name. */
export function rateLimitHeaders(headers: Iterable<[string, unknown]>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of headers) if (/^(ratelimit|x-ratelimit|retry-after)/.test(name)) picked[name] = String(value);
  return picked;
}
