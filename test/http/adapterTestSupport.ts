/** What the Express and Fastify adapter tests share: the stores to run on, the rate-limit headers. */
import { RedisStore, type Store } from '../../src/index.js';
import { redisClient, redisOptions, uniquePrefix } from '../setup/redisTarget.js';

/** The stores every adapter test runs on: memory, and Redis when the test setup started one. */
export function storeVariants(name: string): [string, (() => { store?: Store; prefix?: string }) | undefined][] {
  const single = redisOptions();
  return [
    ['memory', () => ({})],
    ['redis', single && (() => ({ store: new RedisStore({ client: redisClient() }), prefix: uniquePrefix(name) }))],
  ];
}

/** The rate-limit headers of a response (RateLimit*, X-RateLimit-*, Retry-After), by lower-case name. */
export function rateLimitHeaders(headers: Iterable<[string, unknown]>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of headers) if (/^(ratelimit|x-ratelimit|retry-after)/.test(name)) picked[name] = String(value);
  return picked;
}
