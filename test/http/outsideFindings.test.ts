/**
 * Hostile values and bypasses found from outside, through real Express 4/5 and Fastify 4/5 apps on the
 * memory store: each case is one member of a kind (a value that must be reported, never thrown; a
 * documented option that must not let requests through uncounted; an option that must reach every route).
 */

import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sluice from '../../adapters/fastify.js';
import { RateLimiter } from '../../src/index.js';
import { captureWarnings, failOnUnhandledRejections } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

const warnings = captureWarnings();
failOnUnhandledRejections();

/** Exceptions thrown in a listener ('finish'/'close') or a promise callback would end the process. */
const uncaught: unknown[] = [];
const onUncaught = (error: unknown) => uncaught.push(error);
beforeAll(() => {
  process.on('uncaughtException', onUncaught);
});
afterAll(() => {
  process.off('uncaughtException', onUncaught);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > until) throw new Error('condition not reached');
    await sleep(10);
  }
}

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const protoTrap = () =>
  new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new Error('proto trap');
      },
    },
  );

/** `finalCost` callbacks whose result (or what they throw) throws when read. */
const HOSTILE_FINAL_COSTS: [string, () => unknown][] = [
  ['returns a revoked proxy', () => revoked()],
  [
    'returns an object with a throwing getter',
    () => ({
      get requests() {
        throw new Error('getter');
      },
      tokens: 1,
    }),
  ],
  [
    'returns a proxy whose ownKeys throws',
    () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('ownKeys');
          },
        },
      ),
  ],
  ['resolves to a revoked proxy', () => Promise.resolve(revoked())],
  [
    'returns a thenable whose then getter throws',
    () => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose
      get then() {
        throw new Error('then getter');
      },
    }),
  ],
  [
    'returns a thenable whose then throws',
    () => ({
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable on purpose
      then() {
        throw new Error('then');
      },
    }),
  ],
  [
    'throws a revoked proxy',
    () => {
      throw revoked();
    },
  ],
  ['rejects with a revoked proxy', () => Promise.reject(revoked())],
  [
    'throws a proxy whose getPrototypeOf throws',
    () => {
      throw protoTrap();
    },
  ],
  ['rejects with a proxy whose getPrototypeOf throws', () => Promise.reject(protoTrap())],
];

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  describe('finalCost never throws out of its listener', () => {
    it.each(HOSTILE_FINAL_COSTS)('a callback that %s is reported (SLUICE_FINAL_COST_FAILED)', async (_name, finalCost) => {
      const app = await target.start({
        limits: [
          { name: 'requests', capacity: 5, refillRate: 1 },
          { name: 'tokens', capacity: 100, refillRate: 10 },
        ],
        cost: { requests: 1, tokens: 1 },
        key: () => 'client',
        finalCost,
      });
      expect((await app.get('/')).status).toBe(200);
      expect((await app.get('/')).status).toBe(200);
      await eventually(() => warnings().some((warning) => warning.code === 'SLUICE_FINAL_COST_FAILED'));
      await sleep(20);
      expect(uncaught.splice(0)).toEqual([]);
    });
  });
});

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it('the documented skipSuccessfulRequests form keeps a request whose client disconnected counted', async () => {
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const statuses: number[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      // The form README, docs/http.md and MIGRATING.md give.
      finalCost: (_req: unknown, res: { statusCode: number }, { finished }: { finished: boolean }) => {
        statuses.push(res.statusCode);
        return finished && res.statusCode < 400 ? 0 : 1;
      },
    });
    const abort = new AbortController();
    const hanging = app.get('/hang', { signal: abort.signal }).catch((error: Error) => error.name);
    await eventually(() => app.handled() === 1);
    abort.abort();
    expect(await hanging).toBe('AbortError');
    await eventually(() => statuses.length === 1);
    await sleep(50);
    // The status is still 200 when the client went away first: the status alone would have refunded it.
    expect(statuses).toEqual([200]);
    expect((await limiter.consume('client', 0)).remaining).toBe(2);
    expect((await app.get('/status/200')).status).toBe(200);
    await eventually(() => statuses.length === 2);
    await eventually(async () => (await limiter.consume('client', 0)).remaining === 2);
  });
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s', (_name, factory) => {
  it("app.rateLimit() in a child context with its own plugin registration uses the child's limits", async () => {
    const app = factory();
    await app.register(sluice, { global: false, capacity: 100, refillRate: 100, interval: '1m' });
    app.post('/login', { preHandler: app.rateLimit() }, async (request) => ({ limit: request.rateLimit?.limit }));
    await app.register(async (child) => {
      await child.register(sluice, { global: false, capacity: 2, refillRate: 2, interval: '15m', prefix: 'admin:' });
      child.post('/admin/login', { preHandler: child.rateLimit() }, async (request) => ({ limit: request.rateLimit?.limit }));
    });
    // A sibling without its own registration still gets the parent's.
    await app.register(async (sibling) => {
      sibling.post('/other', { preHandler: sibling.rateLimit() }, async (request) => ({ limit: request.rateLimit?.limit }));
    });
    await app.ready();
    try {
      const post = (url: string) => app.inject({ method: 'POST', url });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post('/admin/login')).statusCode);
      expect(statuses).toEqual([200, 200, 429]);
      expect((await post('/login')).json()).toEqual({ limit: 100 });
      expect((await post('/other')).json()).toEqual({ limit: 100 });
    } finally {
      await app.close();
    }
  });
});
