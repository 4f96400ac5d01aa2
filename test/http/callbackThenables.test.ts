/**
 * A user callback's thenable counts by its first settlement only, as `await` reads it: one that resolves twice
 * and then rejects, or rejects and then resolves, gives one decision, runs the handler at most once and reaches
 * the error handler at most once; for every HTTP callback that may return a promise, through real Express 4/5
 * and Fastify 4/5 apps.
 */
import { describe, expect, it } from 'vitest';
import { type Decision, RateLimiter } from '../../src/index.js';
import { captureWarnings, failOnUnhandledRejections, sleep } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS, type Running } from './frameworkTargets.js';

const warnings = captureWarnings();

failOnUnhandledRejections();

/** A thenable that settles more than once: with `first`, then with `second`, then rejects. */
function resolvesTwice<T>(first: T, second: T): PromiseLike<T> {
  return {
    // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable that settles more than once, which is the point here
    then(resolve?: ((value: T) => unknown) | null, reject?: ((reason: unknown) => unknown) | null) {
      resolve?.(first);
      resolve?.(second);
      reject?.(new Error('late rejection'));
      return this as never;
    },
  };
}

/** A thenable that rejects, then resolves with `value`. */
function rejectsFirst<T>(value: T): PromiseLike<T> {
  return {
    // biome-ignore lint/suspicious/noThenProperty: a hand-made thenable that settles more than once, which is the point here
    then(resolve?: ((value: T) => unknown) | null, reject?: ((reason: unknown) => unknown) | null) {
      reject?.(new Error('early rejection'));
      resolve?.(value);
      return this as never;
    },
  };
}

/** Lets whatever a second settlement would set off (a second dispatch, a late error) run before the checks. */
const settleDown = () => sleep(30);

const PREFIX = 'Rejected: ';

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  /** A limiter of 5 on one key, with every decision recorded by `onDecision`, which returns what `reported` gives. */
  async function start(
    options: object,
    reported: () => unknown = () => undefined,
  ): Promise<{ app: Running; limiter: RateLimiter; decisions: Decision[] }> {
    const limiter = new RateLimiter({ capacity: 5, refillRate: 5, interval: '1h' });
    const decisions: Decision[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      onDecision: (_req: unknown, decision: Decision) => {
        decisions.push(decision);
        return reported();
      },
      ...options,
    });
    return { app, limiter, decisions };
  }

  /** One request that passes once: its handler ran once, one decision taking `taken` tokens, no error. */
  async function expectOnePass(app: Running, limiter: RateLimiter, decisions: Decision[], taken: number, key = 'client') {
    expect((await app.get('/')).status).toBe(200);
    await settleDown();
    expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors.map((error) => error.message) }).toEqual({
      handled: 1,
      decisions: 1,
      errors: [],
    });
    expect((await limiter.peek(key)).remaining).toBe(5 - taken);
  }

  /** One request whose callback rejected first: the error handler got that rejection once, and the handler did not run. */
  async function expectRejectedOnce(app: Running) {
    const reply = await app.get('/');
    await settleDown();
    expect({ status: reply.status, handled: app.handled(), errors: app.errors.map((error) => error.message) }).toEqual({
      status: 500,
      handled: 0,
      errors: ['early rejection'],
    });
  }

  /** `expectRejectedOnce`, with `counted` decisions taking a token each (none by default). */
  async function expectOneRejection(app: Running, limiter: RateLimiter, decisions: Decision[], counted = 0) {
    await expectRejectedOnce(app);
    expect(decisions.length).toBe(counted);
    expect((await limiter.peek('client')).remaining).toBe(5 - counted);
  }

  describe('a thenable that resolves twice, then rejects, counts by its first value', () => {
    it('key', async () => {
      const { app, limiter, decisions } = await start({ key: () => resolvesTwice('first', 'second') });
      await expectOnePass(app, limiter, decisions, 1, 'first');
      expect((await limiter.peek('second')).remaining).toBe(5);
    });

    it('skip', async () => {
      const { app, limiter, decisions } = await start({ skip: () => resolvesTwice(false, true) });
      await expectOnePass(app, limiter, decisions, 1);
    });

    it('cost', async () => {
      const { app, limiter, decisions } = await start({ cost: () => resolvesTwice(2, 3) });
      await expectOnePass(app, limiter, decisions, 2);
    });

    it('allowList function', async () => {
      const { app, limiter, decisions } = await start({ allowList: () => resolvesTwice(false, true) });
      await expectOnePass(app, limiter, decisions, 1);
    });

    it('onDecision', async () => {
      const { app, limiter, decisions } = await start({}, () => resolvesTwice(undefined, undefined));
      await expectOnePass(app, limiter, decisions, 1);
    });

    it('plan: only the first plan is charged, and the request is dispatched once', async () => {
      const free = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' });
      const pro = new RateLimiter({ capacity: 5, refillRate: 5, interval: '1h' });
      const decisions: Decision[] = [];
      const app = await target.start({
        plans: { free, pro },
        plan: () => resolvesTwice('free', 'pro'),
        key: () => 'client',
        onDecision: (_req: unknown, decision: Decision) => {
          decisions.push(decision);
        },
      });
      const reply = await app.get('/');
      await settleDown();
      expect([reply.status, JSON.parse(reply.body).limit]).toEqual([200, 1]);
      expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors.map((error) => error.message) }).toEqual({
        handled: 1,
        decisions: 1,
        errors: [],
      });
      expect([(await free.peek('client')).remaining, (await pro.peek('client')).remaining]).toEqual([0, 5]);
    });

    it('message (a function): the first body is sent, once', async () => {
      const { app, limiter, decisions } = await start({ cost: 5, message: () => resolvesTwice(`${PREFIX}first`, `${PREFIX}second`) });
      await expectOnePass(app, limiter, decisions, 5);
      const refused = await app.get('/');
      await settleDown();
      expect([refused.status, refused.body]).toEqual([429, `${PREFIX}first`]);
      expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors }).toEqual({ handled: 1, decisions: 2, errors: [] });
    });

    it('onLimited: the refusal it sent stands, and nothing else runs', async () => {
      const { app, limiter, decisions } = await start({
        cost: 5,
        onLimited: (_req: unknown, res: { status(code: number): { send(body: string): unknown } }) => {
          res.status(429).send('limited here');
          return resolvesTwice(undefined, undefined);
        },
      });
      await expectOnePass(app, limiter, decisions, 5);
      const refused = await app.get('/');
      await settleDown();
      expect([refused.status, refused.body]).toEqual([429, 'limited here']);
      expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors }).toEqual({ handled: 1, decisions: 2, errors: [] });
    });

    it('finalCost: the request is settled once, on the first final cost, and nothing is reported', async () => {
      const { app, limiter, decisions } = await start({ cost: 2, finalCost: () => resolvesTwice(0, 4) });
      expect((await app.get('/')).status).toBe(200);
      await settleDown();
      expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors }).toEqual({ handled: 1, decisions: 1, errors: [] });
      expect((await limiter.peek('client')).remaining).toBe(5);
      expect(warnings()).toEqual([]);
    });
  });

  describe('a thenable that rejects, then resolves, counts as the rejection', () => {
    it('key', async () => {
      const { app, limiter, decisions } = await start({ key: () => rejectsFirst('client') });
      await expectOneRejection(app, limiter, decisions);
    });

    it('skip', async () => {
      const { app, limiter, decisions } = await start({ skip: () => rejectsFirst(true) });
      await expectOneRejection(app, limiter, decisions);
    });

    it('cost', async () => {
      const { app, limiter, decisions } = await start({ cost: () => rejectsFirst(1) });
      await expectOneRejection(app, limiter, decisions);
    });

    it('allowList function', async () => {
      const { app, limiter, decisions } = await start({ allowList: () => rejectsFirst(true) });
      await expectOneRejection(app, limiter, decisions);
    });

    it('onDecision: the request was counted, but does not go on', async () => {
      const { app, limiter, decisions } = await start({}, () => rejectsFirst(undefined));
      await expectOneRejection(app, limiter, decisions, 1);
    });

    it('plan: no plan is charged', async () => {
      const free = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' });
      const pro = new RateLimiter({ capacity: 5, refillRate: 5, interval: '1h' });
      const app = await target.start({ plans: { free, pro }, plan: () => rejectsFirst('pro'), key: () => 'client' });
      await expectRejectedOnce(app);
      expect([(await free.peek('client')).remaining, (await pro.peek('client')).remaining]).toEqual([1, 5]);
    });

    it.each<[string, object]>([
      ['message (a function)', { message: () => rejectsFirst('late body') }],
      ['onLimited', { onLimited: () => rejectsFirst(undefined) }],
    ])('%s: the rejection reaches the error handler once', async (_callback, options) => {
      const { app, limiter, decisions } = await start({ cost: 5, ...options });
      await expectOnePass(app, limiter, decisions, 5);
      const refused = await app.get('/');
      await settleDown();
      expect(refused.status).toBe(500);
      expect({ handled: app.handled(), errors: app.errors.map((error) => error.message) }).toEqual({
        handled: 1,
        errors: ['early rejection'],
      });
    });

    it('finalCost: reported once as a rejection, and nothing is settled', async () => {
      const { app, limiter, decisions } = await start({ cost: 2, finalCost: () => rejectsFirst(0) });
      expect((await app.get('/')).status).toBe(200);
      await settleDown();
      expect({ handled: app.handled(), decisions: decisions.length, errors: app.errors }).toEqual({ handled: 1, decisions: 1, errors: [] });
      expect((await limiter.peek('client')).remaining).toBe(3);
      const reported = warnings();
      expect(reported.map((warning) => warning.code)).toEqual(['SLUICE_FINAL_COST_FAILED']);
      expect(reported[0]?.message).toContain('It rejected: early rejection');
    });
  });
});
