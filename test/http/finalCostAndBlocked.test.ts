/**
 * `finalCost` (settle a request's cost after its response: once, whichever way the response ends) and
 * `blocked` (the response while a key is blocked), through real Express 4/5 and Fastify 4/5 apps on the
 * memory store, Redis and the Redis Cluster.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, SluiceConfigError } from '../../src/index.js';
import { captureWarnings, eventually, failOnUnhandledRejections, sleep, storeVariants } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

const stores = storeVariants('finalCost', { cluster: true });
const warnings = captureWarnings();

failOnUnhandledRejections();

type Outcome = { finished: boolean; status: number };
const statusOf = (res: unknown) => (res as { statusCode: number }).statusCode;

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  describe.each(stores)('%s store', (_store, storeOptions) => {
    it.skipIf(storeOptions === undefined)('finalCost 0 for successes counts only failed requests (skipSuccessfulRequests)', async () => {
      const limiter = new RateLimiter({ capacity: 2, refillRate: 2, interval: '1h', ...storeOptions?.() });
      const outcomes: Outcome[] = [];
      const app = await target.start({
        limiter,
        key: () => 'client',
        finalCost: (_req: unknown, res: unknown, outcome: { finished: boolean }) => {
          outcomes.push({ finished: outcome.finished, status: statusOf(res) });
          return statusOf(res) < 400 ? 0 : 1;
        },
      });
      for (let i = 0; i < 4; i++) {
        expect((await app.get('/status/200')).status).toBe(200);
        await eventually(() => outcomes.length === i + 1);
        await eventually(async () => (await limiter.consume('client', 0)).remaining === 2);
      }
      expect((await app.get('/status/401')).status).toBe(401);
      expect((await app.get('/status/401')).status).toBe(401);
      await eventually(() => outcomes.length === 6);
      expect((await app.get('/status/200')).status).toBe(429);
      expect(outcomes).toEqual([...Array(4).fill({ finished: true, status: 200 }), ...Array(2).fill({ finished: true, status: 401 })]);
    });

    it.skipIf(storeOptions === undefined)(
      'estimate then settle: the difference is charged into debt, and a refusal in debt gets the normal 429 (no blockDuration)',
      async () => {
        const limiter = new RateLimiter({ capacity: 4, refillRate: 4, interval: '1h', ...storeOptions?.() });
        const app = await target.start({
          limiter,
          key: () => 'client',
          cost: 2,
          finalCost: () => 7,
          blocked: { statusCode: 403, message: { error: 'blocked for now' } },
        });
        expect((await app.get('/')).status).toBe(200);
        // 7 taken in all from a bucket of 4: 3 tokens of debt.
        await eventually(async () => (await limiter.consume('client', 0)).resetMs > 6.5 * 15 * 60_000);
        const refused = await app.get('/');
        expect(refused.status).toBe(429);
        expect(JSON.parse(refused.body)).not.toEqual({ error: 'blocked for now' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3 * 15 * 60);
      },
    );

    it.skipIf(storeOptions === undefined)('a refusal within the bucket (not in debt) gets the normal 429 even with `blocked`', async () => {
      const app = await target.start({ capacity: 1, refillRate: 1, interval: '1h', blocked: { statusCode: 403 }, ...storeOptions?.() });
      expect((await app.get('/')).status).toBe(200);
      expect((await app.get('/')).status).toBe(429);
    });

    it.skipIf(storeOptions === undefined)(
      'blockDuration blocks a key that keeps calling, and `blocked` answers 403 meanwhile',
      async () => {
        const app = await target.start({
          capacity: 1,
          refillRate: 1,
          interval: '1m',
          blockDuration: '2m',
          blocked: {},
          ...storeOptions?.(),
        });
        expect((await app.get('/')).status).toBe(200);
        const refused = await app.get('/');
        expect(refused.status).toBe(403);
        expect(JSON.parse(refused.body)).toMatchObject({ error: 'Blocked' });
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(119);
        await sleep(1100);
        expect((await app.get('/')).status).toBe(403);
      },
    );
  });

  it('finalCost runs once with finished: false when the client disconnects before the response', async () => {
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const outcomes: boolean[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      finalCost: (_req: unknown, _res: unknown, outcome: { finished: boolean }) => {
        outcomes.push(outcome.finished);
        return 0;
      },
    });
    const abort = new AbortController();
    const hanging = app.get('/hang', { signal: abort.signal }).catch((error: Error) => error.name);
    await eventually(() => app.handled() === 1);
    abort.abort();
    expect(await hanging).toBe('AbortError');
    await eventually(() => outcomes.length === 1);
    await sleep(50);
    expect(outcomes).toEqual([false]);
    expect((await limiter.consume('client', 0)).remaining).toBe(3);
  });

  it('finalCost runs once (finished, status 500) for a handler that throws', async () => {
    const outcomes: Outcome[] = [];
    const app = await target.start({
      capacity: 3,
      refillRate: 3,
      interval: '1h',
      finalCost: (_req: unknown, res: unknown, outcome: { finished: boolean }) => {
        outcomes.push({ finished: outcome.finished, status: statusOf(res) });
        return 1;
      },
    });
    expect((await app.get('/throw')).status).toBe(500);
    await eventually(() => outcomes.length === 1);
    await sleep(50);
    expect(outcomes).toEqual([{ finished: true, status: 500 }]);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      /It threw: boom/,
    ],
    ['rejects', () => Promise.reject(new Error('boom')), /It rejected: boom/],
    ['returns NaN', () => Number.NaN, /final cost that must be a whole number of tokens ≥ 0; got NaN/],
    ['returns a negative cost', () => -1, /got -1/],
    ['names an unknown band', () => ({ other: 1 }), /names no band of the limiter: "other"/],
  ])('a finalCost that %s is reported once, charges nothing, and the process stays up', async (_what, finalCost, message) => {
    const limiter = new RateLimiter({ capacity: 2, refillRate: 2, interval: '1h' });
    const app = await target.start({ limiter, key: () => 'client', finalCost });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings().map((warning) => warning.code)).toEqual(['SLUICE_FINAL_COST_FAILED']);
    expect(warnings()[0]?.message).toMatch(message);
    expect((await limiter.consume('client', 0)).remaining).toBe(1);
  });

  it('per-band costs: estimate { requests: 1, tokens: 100 }, settle the tokens actually used', async () => {
    const limiter = new RateLimiter({
      limits: [
        { name: 'requests', capacity: 10, refillRate: 10, interval: '1m' },
        { name: 'tokens', capacity: 1000, refillRate: 1000, interval: '1m' },
      ],
    });
    const app = await target.start({
      limiter,
      key: () => 'client',
      cost: { requests: 1, tokens: 100 },
      finalCost: () => ({ requests: 1, tokens: 350 }),
    });
    expect((await app.get('/')).status).toBe(200);
    await eventually(async () => (await limiter.consume('client', 0)).bands?.[1]?.remaining === 650);
    expect((await limiter.consume('client', 0)).bands?.[0]?.remaining).toBe(9);
  });
});

describe('bad input', () => {
  const limit = { capacity: 2, refillRate: 2, interval: '1m' } as const;
  const badOptions: [object, RegExp][] = [
    [{ ...limit, finalCost: 0 }, /`finalCost` must be a function; got 0/],
    [{ ...limit, finalCost: 'status' }, /`finalCost` must be a function; got "status"/],
    [{ ...limit, blocked: 403 }, /`blocked` must be an object/],
    [{ ...limit, blocked: { statusCode: 200 } }, /`blocked\.statusCode`.*200/],
    [{ ...limit, blocked: { message: 5 } }, /`blocked\.message`.*5/],
    [{ ...limit, blocked: { status: 403 } }, /`blocked\.status`/],
  ];
  it.each(badOptions)('%o is refused naming the option and value', async (options, message) => {
    for (const target of FRAMEWORK_TARGETS) {
      const started = target.start(options);
      await expect(started).rejects.toThrow(SluiceConfigError);
      await expect(started).rejects.toThrow(message);
    }
  });
});
