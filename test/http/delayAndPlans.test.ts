/**
 * `delay` (hold instead of refusing), the decision in handlers (`req.rateLimit`, `rateLimitOf`) and `plans`,
 * through real Express 4/5 and Fastify 4/5 apps on the memory store, Redis and the Redis Cluster.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, SluiceConfigError } from '../../src/index.js';
import { failOnUnhandledRejections, sleep, storeVariants } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS, type SeenDecision } from './frameworkTargets.js';

const stores = storeVariants('delayPlans', { cluster: true });

failOnUnhandledRejections();

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)(
      'delay holds an over-limit request until its token is due, then answers it with that decision',
      async () => {
        // One token per 300 ms: the second request is held about 300 ms instead of refused.
        const app = await target.start({ capacity: 1, refillRate: 1, interval: 300, delay: { maxWaitMs: 2000 }, ...storeOptions?.() });
        const firstSent = performance.now();
        expect((await app.get('/')).status).toBe(200);
        const held = await app.get('/');
        // The token is due 300 ms after the first request was decided, which was after firstSent (a few ms for the
        // whole-ms clock); measured from the second request instead, a slow first reply would shorten the wait.
        expect(performance.now() - firstSent).toBeGreaterThanOrEqual(295);
        expect(held.status).toBe(200);
        // The headers and the handler's view are those of the final (allowed) decision.
        expect(held.headers.ratelimit).toMatch(/^"default";r=0;t=1$/);
        expect(held.headers['retry-after']).toBeUndefined();
        expect(JSON.parse(held.body)).toMatchObject({ allowed: true, remaining: 0, same: true });
      },
    );

    it.skipIf(storeOptions === undefined)('delay refuses at once what would wait longer than maxWaitMs, taking nothing', async () => {
      const app = await target.start({ capacity: 1, refillRate: 1, interval: '10s', delay: { maxWaitMs: 1000 }, ...storeOptions?.() });
      expect((await app.get('/')).status).toBe(200);
      const started = performance.now();
      const refused = await app.get('/');
      expect(refused.status).toBe(429);
      expect(performance.now() - started).toBeLessThan(900);
      expect(refused.headers['retry-after']).toBe('10');
    });

    it.skipIf(storeOptions === undefined)(
      'delay holds at most maxHeld at once, refuses beyond, and a client that disconnects gives its reservation back',
      async () => {
        const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 1000, ...storeOptions?.() });
        const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 5000, maxHeld: 1 } });
        expect((await app.get('/')).status).toBe(200);
        const abort = new AbortController();
        const held = app.get('/', { signal: abort.signal }).catch((error: Error) => error.name);
        await sleep(100);
        // One is held: the next one is refused at once (429), not held.
        expect((await app.get('/')).status).toBe(429);
        abort.abort();
        expect(await held).toBe('AbortError');
        await sleep(100);
        // The held request's token (due at +2 s) was given back: the bucket is full again 1 s after the first request, not 2 s.
        const state = await limiter.consume('client', 0);
        expect(state.resetMs).toBeLessThanOrEqual(1000);
        expect(app.handled()).toBe(1);
      },
    );

    it.skipIf(storeOptions === undefined)(
      'handlers read the decision: req.rateLimit / request.rateLimit and rateLimitOf(req)',
      async () => {
        const app = await target.start({ capacity: 3, refillRate: 3, interval: '1m', ...storeOptions?.() });
        const seen: SeenDecision[] = [];
        for (let i = 0; i < 3; i++) seen.push(JSON.parse((await app.get('/')).body));
        expect(seen).toEqual([
          { allowed: true, remaining: 2, limit: 3, same: true },
          { allowed: true, remaining: 1, limit: 3, same: true },
          { allowed: true, remaining: 0, limit: 3, same: true },
        ]);
      },
    );

    it.skipIf(storeOptions === undefined)(
      'plans: each request gets the limits of the plan `plan(req)` names, in its own buckets, and its headers',
      async () => {
        const app = await target.start({
          plans: { free: { capacity: 2, refillRate: 2, interval: '1m' }, paid: { capacity: 4, refillRate: 4, interval: '1m' } },
          plan: async (req: { headers: Record<string, string | undefined> }) => req.headers['x-plan'] ?? 'free',
          key: () => 'same client',
          ...storeOptions?.(),
        });
        const free = [];
        for (let i = 0; i < 3; i++) free.push(await app.get('/'));
        expect(free.map((reply) => reply.status)).toEqual([200, 200, 429]);
        expect(free[0]?.headers['ratelimit-policy']).toBe('"default";q=2;w=60');
        const paid = [];
        for (let i = 0; i < 5; i++) paid.push(await app.get('/', { headers: { 'x-plan': 'paid' } }));
        expect(paid.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 429]);
        expect(paid[0]?.headers['ratelimit-policy']).toBe('"default";q=4;w=60');
        expect(JSON.parse(paid[0]?.body as string)).toMatchObject({ limit: 4, remaining: 3 });
        // A name that is not a plan goes to the error handler, naming the plans.
        const unknown = await app.get('/', { headers: { 'x-plan': 'gold' } });
        expect(unknown.status).toBe(500);
        expect(JSON.parse(unknown.body)).toMatchObject({ failed: 'SluiceArgumentError' });
        expect(JSON.parse(unknown.body).message).toMatch(/`plan`.*"free", "paid".*"gold"/);
      },
    );

    it('a name that is not a plan gets an error naming the first ten plans and how many more, however many there are', async () => {
      const plans = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`p${i}`, { capacity: 1, refillRate: 1 }]));
      const app = await target.start({ plans, plan: () => 'gold' });
      const reply = await app.get('/');
      expect(reply.status).toBe(500);
      const { message } = JSON.parse(reply.body) as { message: string };
      expect(message).toContain(`must return the name of a plan: ${Array.from({ length: 10 }, (_, i) => `"p${i}"`).join(', ')} and 2 more`);
      expect(message).not.toContain('"p10"');
      const ten = await target.start({ plans: Object.fromEntries(Object.entries(plans).slice(0, 10)), plan: () => 'gold' });
      expect(JSON.parse((await ten.get('/')).body).message).toMatch(/"p8", "p9"; got "gold"$/);
    });
  });

  it('rateLimitOf(req) is undefined for a request no limiter counted (skipped)', async () => {
    const app = await target.start({ capacity: 3, refillRate: 3, interval: '1m', skip: () => true });
    expect(JSON.parse((await app.get('/')).body)).toEqual({ allowed: null, remaining: null, limit: null, same: true });
  });

  it('the decision a handler reads is the refusal when onLimited lets nothing through, and the final one after a hold', async () => {
    const app = await target.start({ capacity: 1, refillRate: 1, interval: 200, delay: { maxWaitMs: 1000 } });
    const first = JSON.parse((await app.get('/')).body) as SeenDecision;
    const second = JSON.parse((await app.get('/')).body) as SeenDecision;
    expect(first).toMatchObject({ allowed: true, remaining: 0 });
    expect(second).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('a plan function that throws or rejects reaches the error handler, and the process stays up', async () => {
    const throwing = await target.start({
      plans: { free: { capacity: 2, refillRate: 2, interval: '1m' } },
      plan: () => {
        throw new Error('plan lookup failed');
      },
    });
    expect((await throwing.get('/')).status).toBe(500);
    const rejecting = await target.start({
      plans: { free: { capacity: 2, refillRate: 2, interval: '1m' } },
      plan: () => Promise.reject(new Error('plan lookup failed')),
    });
    expect((await rejecting.get('/')).status).toBe(500);
    expect([...throwing.errors, ...rejecting.errors].map((error) => error.message)).toEqual(['plan lookup failed', 'plan lookup failed']);
  });
});

describe('bad input', () => {
  const limit = { capacity: 2, refillRate: 2, interval: '1m' } as const;
  const badOptions: [object, RegExp][] = [
    [{ ...limit, delay: { maxWaitMs: -1 } }, /`delay\.maxWaitMs`.*-1/],
    [{ ...limit, delay: { maxWaitMs: Number.NaN } }, /`delay\.maxWaitMs`.*NaN/],
    [{ ...limit, delay: { maxWaitMs: '1s' } }, /`delay\.maxWaitMs`.*"1s"/],
    [{ ...limit, delay: {} }, /`delay\.maxWaitMs`.*undefined/],
    [{ ...limit, delay: { maxWaitMs: 100, maxHeld: -5 } }, /`delay\.maxHeld`.*-5/],
    [{ ...limit, delay: { maxWaitMs: 100, maxHeld: Number.NaN } }, /`delay\.maxHeld`.*NaN/],
    [{ ...limit, delay: { maxWaitMs: 100, maxHeld: 1.5 } }, /`delay\.maxHeld`.*1\.5/],
    [{ ...limit, delay: { maxWaitMs: 100, maxHold: 5 } }, /`delay\.maxHold`/],
    [{ ...limit, delay: 100 }, /`delay`.*100/],
    [{ ...limit, delay: { maxWaitMs: 2 ** 60 } }, /`delay\.maxWaitMs`.*at most the limiter's maxWaitMs/],
    [{ plans: { free: limit } }, /`plan`.*undefined/],
    [{ plans: { free: limit }, plan: 'free' }, /`plan`.*"free"/],
    [{ plan: () => 'free' }, /`plans`.*undefined/],
    [{ plans: {}, plan: () => 'free' }, /`plans`.*at least one plan/],
    [{ plans: { free: 3 }, plan: () => 'free' }, /`plans\.free`.*3/],
    [{ plans: { free: { ...limit, capacity: -1 } }, plan: () => 'free' }, /`plans\.free\.capacity`.*-1/],
    [{ plans: { free: limit }, plan: () => 'free', capacity: 5 }, /`capacity`.*cannot be combined with `plans`/],
    [{ plans: { free: limit }, plan: () => 'free', limiter: new RateLimiter(limit) }, /`limiter`.*cannot be combined with `plans`/],
  ];
  it.each(badOptions)('%o is refused naming the option and value', async (options, message) => {
    for (const target of FRAMEWORK_TARGETS) {
      const started = target.start(options);
      await expect(started).rejects.toThrow(SluiceConfigError);
      await expect(started).rejects.toThrow(message);
    }
  });
});
