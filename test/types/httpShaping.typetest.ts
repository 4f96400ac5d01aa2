/**
 * Type tests, checked by `npm run typecheck` (tsc over test/): the HTTP options for delaying, settling after
 * the response, blocking and plans, and the decision in handlers. Never run, only compiled.
 */
import type { Request } from 'express';
import Fastify, { type FastifyRequest } from 'fastify';
import { rateLimit, rateLimitOf } from '../../adapters/express.js';
import sluice, { rateLimitOf as fastifyRateLimitOf } from '../../adapters/fastify.js';
import type { Decision } from '../../src/index.js';

const limit = { capacity: 10, refillRate: 10, interval: '1 minute' } as const;

export function expressOptions(): void {
  rateLimit({ ...limit, delay: { maxWaitMs: 1000, maxHeld: 10 } });
  rateLimit({ ...limit, finalCost: (_req, res, { finished }) => (finished && res.statusCode < 400 ? 0 : 1) });
  rateLimit({
    ...limit,
    blockDuration: '10 minutes',
    blocked: { statusCode: 403, message: (_req, decision) => ({ wait: decision.retryAfterMs }) },
  });
  // `plan` sees Express' request.
  rateLimit({ plans: { free: limit }, plan: (req) => (req.get('x-plan') === 'pro' ? 'pro' : 'free') });
  // @ts-expect-error: `plans` replaces the limit options
  rateLimit({ ...limit, plans: { free: limit }, plan: () => 'free' });
  // @ts-expect-error: `maxWaitMs` is a number of ms
  rateLimit({ ...limit, delay: { maxWaitMs: '1s' } });
  // @ts-expect-error: `finalCost` returns a cost, not a boolean
  rateLimit({ ...limit, finalCost: () => true });
}

export function decisions(req: Request, request: FastifyRequest): (Decision | undefined)[] {
  return [req.rateLimit, rateLimitOf(req), request.rateLimit, fastifyRateLimitOf(request)];
}

export async function fastifyOptions(): Promise<void> {
  const app = Fastify();
  await app.register(sluice, { ...limit, global: false, delay: { maxWaitMs: 500 } });
  app.get('/r', { config: { rateLimit: { finalCost: (_request, reply) => (reply.statusCode < 400 ? 0 : 1) } } }, async () => 'ok');
  // @ts-expect-error: `global` is a plugin option (a peer's name in a route's config)
  app.get('/g', { config: { rateLimit: { global: true } } }, async () => 'ok');
}
