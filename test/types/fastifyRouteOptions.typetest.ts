/**
 * Type tests, checked by `npm run typecheck` (tsc over test/): a peer library's option name or a typo is a
 * type error in a Fastify route's `config.rateLimit`, as at plugin level. Never run, only compiled.
 */
import Fastify from 'fastify';
import { rateLimit } from '../../adapters/express.js';
import sluice, { type FastifyRouteRateLimitOptions } from '../../adapters/fastify.js';

declare function ok(): Promise<string>;

export async function routeConfig(): Promise<void> {
  const app = Fastify();
  await app.register(sluice, { capacity: 10, refillRate: 10, interval: '1 minute' });

  app.get('/fine', { config: { rateLimit: { capacity: 5, refillRate: 5, interval: '15 minutes', headers: 'draft-7' } } }, ok);
  app.get('/group', { config: { rateLimit: { groupId: 'login', hook: 'preHandler', allowList: ['10.0.0.0/8', 'key-1'] } } }, ok);
  app.get('/formats', { config: { rateLimit: { headers: ['draft-6', 'legacy'] } } }, ok);

  // @ts-expect-error: express-rate-limit's `windowMs` (sluice: `interval`)
  app.get('/peer-window', { config: { rateLimit: { windowMs: 60_000 } } }, ok);
  // @ts-expect-error: @fastify/rate-limit's `max` (sluice: `capacity` and `refillRate`)
  app.get('/peer-max', { config: { rateLimit: { max: 5, timeWindow: '1 minute' } } }, ok);
  // @ts-expect-error: @fastify/rate-limit's `keyGenerator` (sluice: `key`)
  app.get('/peer-key', { config: { rateLimit: { keyGenerator: () => 'k' } } }, ok);
  // A typo: Fastify infers a route's `config` type from the literal, so only a typed object catches it
  // (the plugin refuses it at registration either way).
  // @ts-expect-error: a typo of `capacity`
  const typo: FastifyRouteRateLimitOptions = { capasity: 5, refillRate: 5 };
  // @ts-expect-error: a typo of `headers`, with HTTP options only
  app.get('/typo-http', { config: { rateLimit: { header: 'legacy' } satisfies FastifyRouteRateLimitOptions } }, ok);
  app.get('/typo', { config: { rateLimit: typo } }, ok);
  // @ts-expect-error: not a duration unit
  app.get('/bad-unit', { config: { rateLimit: { capacity: 5, refillRate: 5, interval: '1 fortnight' } } }, ok);

  // @ts-expect-error: at plugin level too
  await app.register(sluice, { capacity: 10, refillRate: 10, timeWindow: 60_000 });
}

export function expressOptions(): void {
  rateLimit({ capacity: 10, refillRate: 10, interval: '2 hours', headers: 'draft-6' });
  // @ts-expect-error: express-rate-limit's `limit` (sluice: `capacity` and `refillRate`)
  rateLimit({ limit: 10, windowMs: 60_000 });
}
