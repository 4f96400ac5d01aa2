/**
 * Fastify: a route with a limit of its own under a plugin with `plans`, through real Fastify 4 and 5 apps. Its one
 * limiter takes the plugin's top-level failure policy and block, never those of a plan (the plugin's first plan is
 * the limiter the route's store comes from, and its settings are that plan's own).
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../src/index.js';
import { FASTIFY, registered, statuses } from './http/fastifyApps.js';
import { FailingStore } from './setup/failingStore.js';

const ok = async () => 'ok';
const two = { capacity: 2, refillRate: 2, interval: '1h' } as const;
const wide = { capacity: 100, refillRate: 100, interval: '1h' } as const;

describe.each(Object.entries(FASTIFY))('%s', (_name, factory) => {
  it("a plan's own blockDuration is not the route's: the route's refusal is a 429, not the block's 403", async () => {
    const server = await registered(factory, {
      plans: { free: { ...wide, blockDuration: '1m' }, pro: wide },
      plan: () => 'free',
      blocked: { statusCode: 403 },
    });
    server.get('/own', { config: { rateLimit: two } }, ok);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 429]);
  });

  it("a ready plan's onStoreError is not the route's: the route fails open, as the plugin's top level does", async () => {
    const free = new RateLimiter({ ...wide, store: new FailingStore('reject'), onStoreError: 'deny', prefix: 'p:' });
    const server = await registered(factory, { plans: { free }, plan: () => 'free' });
    server.get('/own', { config: { rateLimit: two } }, ok);
    server.get('/planned', ok);
    expect(await statuses(server, 'GET', '/planned', 1)).toEqual([429]);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 200]);
  });

  it("the plugin's top-level onStoreError is the route's beside plans", async () => {
    const free = new RateLimiter({ ...wide, store: new FailingStore('reject'), onStoreError: 'allow', prefix: 'p:' });
    const server = await registered(factory, { plans: { free }, plan: () => 'free', onStoreError: 'deny' });
    server.get('/own', { config: { rateLimit: two } }, ok);
    expect(await statuses(server, 'GET', '/own', 2)).toEqual([429, 429]);
  });
});
