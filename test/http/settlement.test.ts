/**
 * `finalCost` settlement in detail, through real Express 4/5 and Fastify 4/5 apps: the exact tokens charged
 * and refunded, the store calls a settlement makes (none when the final cost equals the estimate), the report
 * of each way it can fail, and how it listens to the response ('finish' first, once, no listener left behind,
 * at once for a response already gone when the decision arrives).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express5, { type Request, type Response } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressRateLimitOptions, rateLimit } from '../../adapters/express.js';
import sluice, { type FastifyRateLimitOptions } from '../../adapters/fastify.js';
import { costDifference } from '../../src/http/settlement.js';
import { type BandCosts, MemoryStore, type Policy, RateLimiter, type Store, type StoreResult } from '../../src/index.js';
import { captureWarnings, eventually, failOnUnhandledRejections, listenExpress, sleep } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

const warnings = captureWarnings();
failOnUnhandledRejections();

const PREFIX = "sluice: settling a request's cost after its response failed";

/**
 * A memory store behind a connection that can go down: while `down`, every call rejects as a store whose
 * backend is unreachable does. Records the cost of each call it answers or refuses.
 */
class OutageStore implements Store {
  readonly synchronous = false;
  down = false;
  readonly costs: BandCosts[] = [];
  private readonly inner = new MemoryStore({ sweepInterval: false });

  update(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number): Promise<StoreResult> {
    // + 0: a refund's part of 0 arrives as -0.
    this.costs.push(Array.isArray(cost) ? cost.map((part) => part + 0) : cost);
    if (this.down) return Promise.reject(new Error('connection reset'));
    const result = this.inner.update(policy, key, cost, slackMs, now);
    return Promise.resolve({ allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) });
  }

  reset(policy: Policy, key: string): void {
    this.inner.reset(policy, key);
  }

  close(): void {
    this.inner.close();
  }
}

const twoBands = () =>
  [
    { name: 'requests', capacity: 10, refillRate: 10, interval: '1h' },
    { name: 'tokens', capacity: 1000, refillRate: 1000, interval: '1h' },
  ] as const;

describe('costDifference', () => {
  const bands = ['requests', 'tokens'];

  it('a number settled to the same number charges and refunds nothing', () => {
    expect(costDifference([undefined], 3, 3)).toStrictEqual({ charge: undefined, refund: undefined });
    expect(costDifference([undefined], 3, 5)).toStrictEqual({ charge: 2, refund: undefined });
    expect(costDifference([undefined], 3, 0)).toStrictEqual({ charge: undefined, refund: 3 });
  });

  it('per band: only the bands that changed, and no charge or refund object when none does', () => {
    const taken = { requests: 1, tokens: 100 };
    expect(costDifference(bands, taken, { requests: 1, tokens: 100 })).toStrictEqual({ charge: undefined, refund: undefined });
    expect(costDifference(bands, taken, { requests: 2, tokens: 350 })).toStrictEqual({
      charge: { requests: 1, tokens: 250 },
      refund: undefined,
    });
    expect(costDifference(bands, taken, { requests: 1, tokens: 350 })).toStrictEqual({
      charge: { requests: 0, tokens: 250 },
      refund: undefined,
    });
    expect(costDifference(bands, taken, { requests: 0, tokens: 30 })).toStrictEqual({
      charge: undefined,
      refund: { requests: 1, tokens: 70 },
    });
    expect(costDifference(bands, taken, { requests: 0, tokens: 350 })).toStrictEqual({
      charge: { requests: 0, tokens: 250 },
      refund: { requests: 1, tokens: 0 },
    });
    expect(costDifference(bands, taken, 0)).toStrictEqual({ charge: undefined, refund: { requests: 1, tokens: 100 } });
    expect(costDifference(bands, 1, { requests: 1, tokens: 1 })).toStrictEqual({ charge: undefined, refund: undefined });
  });

  it.each<[unknown, string]>([
    ['3', 'must be a whole number of tokens ≥ 0, or an object of them by band name; got "3"'],
    [null, 'must be a whole number of tokens ≥ 0, or an object of them by band name; got null'],
    [undefined, 'must be a whole number of tokens ≥ 0, or an object of them by band name; got undefined'],
    [true, 'must be a whole number of tokens ≥ 0, or an object of them by band name; got true'],
    [{ requests: 1, tokens: 1.5 }, 'must give band "tokens" a whole number of tokens ≥ 0; got 1.5'],
    [{ requests: 1 }, 'must give band "tokens" a whole number of tokens ≥ 0; got undefined'],
    [-1, 'must give band "requests" a whole number of tokens ≥ 0; got -1'],
    [{ requests: 2, tokens: 1, bogus: 5 }, 'names no band of the limiter: "bogus"'],
  ])('an object cost settled to %o: %s', (final, message) => {
    expect(costDifference(bands, { requests: 1, tokens: 100 }, final)).toBe(message);
  });
});

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it.each<[string, unknown[], number[][]]>([
    [
      'a final cost below the estimate is refunded, above it charged: exactly the difference, per band',
      [
        { requests: 1, tokens: 30 },
        { requests: 3, tokens: 400 },
        { requests: 0, tokens: 100 },
      ],
      [
        [9, 970],
        [6, 570],
        [6, 470],
      ],
    ],
    [
      'a number settles an object estimate in every band; a promise of one is awaited',
      [0, Promise.resolve(2), (async () => 150)()],
      [
        [10, 1000],
        [8, 998],
        [0, 848],
      ],
    ],
  ])('%s', async (_title, finals, remainingAfter) => {
    const limiter = new RateLimiter({ limits: twoBands() });
    const app = await target.start({
      limiter,
      key: () => 'client',
      cost: { requests: 1, tokens: 100 },
      finalCost: () => finals.shift(),
    });
    const remaining = async () => (await limiter.peek('client')).bands?.map((band) => band.remaining);
    for (const expected of remainingAfter) {
      expect((await app.get('/')).status).toBe(200);
      await eventually(async () => JSON.stringify(await remaining()) === JSON.stringify(expected));
      expect(await remaining()).toEqual(expected);
    }
  });

  it('settling makes one store call for what changed, and none when the final cost is the estimate', async () => {
    const store = new OutageStore();
    const limiter = new RateLimiter({ limits: twoBands(), store });
    const finals = [{ requests: 1, tokens: 100 }, { requests: 1, tokens: 30 }, { requests: 2, tokens: 400 }, 5, 1];
    const settled: number[] = [];
    const app = await target.start({
      limiter,
      key: () => 'client',
      cost: { requests: 1, tokens: 100 },
      finalCost: () => {
        settled.push(store.costs.length);
        return finals.shift();
      },
    });
    for (let i = 0; i < 5; i++) {
      expect((await app.get('/')).status).toBe(200);
      await eventually(() => settled.length === i + 1);
    }
    await sleep(50);
    // Each request: its consume, then the settlement's calls (a refund's cost is negative).
    expect(store.costs).toEqual([
      [1, 100],
      [1, 100],
      [0, -70],
      [1, 100],
      [1, 300],
      [1, 100],
      [4, 0],
      [0, -95],
      [1, 100],
      [0, -99],
    ]);
    expect(warnings()).toEqual([]);
  });

  it('a whole-number estimate: no store call when the final cost equals it, else one for the difference', async () => {
    const store = new OutageStore();
    const limiter = new RateLimiter({ capacity: 5, refillRate: 5, interval: '1h', store });
    const finals = [1, 3, 0];
    const app = await target.start({ limiter, key: () => 'client', finalCost: () => finals.shift() });
    for (let i = 1; i <= 3; i++) {
      expect((await app.get('/')).status).toBe(200);
      await eventually(() => finals.length === 3 - i);
    }
    await sleep(50);
    expect(store.costs).toEqual([1, 1, 2, 1, -1]);
    expect((await limiter.peek('client')).remaining).toBe(1);
  });

  it.each<[string, unknown, string]>([
    ['a string', '3', 'It returned a final cost that must be a whole number of tokens ≥ 0, or an object of them by band name; got "3".'],
    ['null', null, 'It returned a final cost that must be a whole number of tokens ≥ 0, or an object of them by band name; got null.'],
    [
      'undefined',
      undefined,
      'It returned a final cost that must be a whole number of tokens ≥ 0, or an object of them by band name; got undefined.',
    ],
    ['an object for an unnamed band', {}, 'It returned a final cost that is an object, but the limiter has a band without a name.'],
    ['a fraction', 1.5, 'It returned a final cost that must be a whole number of tokens ≥ 0; got 1.5.'],
  ])('a finalCost that returns %s is reported with what is wrong, and nothing is settled', async (_what, final, detail) => {
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const app = await target.start({ limiter, key: () => 'client', finalCost: () => final });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings()).toEqual([{ name: 'SluiceWarning', code: 'SLUICE_FINAL_COST_FAILED', message: `${PREFIX}${tail(detail)}` }]);
    expect((await limiter.peek('client')).remaining).toBe(2);
  });

  it('a part of a per-band final cost that is not whole tokens is reported by band', async () => {
    const limiter = new RateLimiter({ limits: twoBands() });
    const app = await target.start({ limiter, key: () => 'client', finalCost: () => ({ requests: 1, tokens: 1.5 }) });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings()[0]?.message).toBe(
      `${PREFIX}${tail('It returned a final cost that must give band "tokens" a whole number of tokens ≥ 0; got 1.5.')}`,
    );
  });

  it.each<[string, () => unknown, string]>([
    [
      'throws a non-Error',
      () => {
        throw 'boom';
      },
      'It threw: "boom"',
    ],
    [
      'throws an Error',
      () => {
        throw new Error('boom');
      },
      'It threw: boom',
    ],
    ['rejects', () => Promise.reject(new TypeError('late boom')), 'It rejected: late boom'],
    [
      'returns a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a thenable that throws, which is the point here
        then() {
          throw new Error('then boom');
        },
      }),
      'It threw: then boom',
    ],
    [
      'returns a cost whose part throws when read',
      () => ({
        get requests(): number {
          throw new Error('getter boom');
        },
      }),
      'Reading the final cost it returned threw: getter boom',
    ],
  ])('a finalCost that %s is reported as such', async (_what, finalCost, detail) => {
    const limiter = new RateLimiter({ limits: [{ name: 'requests', capacity: 3, refillRate: 3, interval: '1h' }] });
    const app = await target.start({ limiter, key: () => 'client', finalCost });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings()).toEqual([{ name: 'SluiceWarning', code: 'SLUICE_FINAL_COST_FAILED', message: `${PREFIX}${tail(detail)}` }]);
    expect((await limiter.peek('client')).remaining).toBe(2);
  });

  it.each([
    ['charge', 3, 'The charge failed: sluice: the store failed: connection reset'],
    ['refund', 0, 'The refund failed: sluice: the store failed: connection reset'],
  ])('a store that fails the %s is reported', async (_what, final, detail) => {
    const store = new OutageStore();
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h', store, onStoreError: 'throw' });
    const app = await target.start({
      limiter,
      key: () => 'client',
      finalCost: () => {
        store.down = true;
        return final;
      },
    });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings()).toEqual([{ name: 'SluiceWarning', code: 'SLUICE_FINAL_COST_FAILED', message: `${PREFIX}${tail(detail)}` }]);
    store.down = false;
    expect((await limiter.peek('client')).remaining).toBe(2);
  });

  it('a charge beyond what the limiter can count is reported with the limiter’s error', async () => {
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const app = await target.start({ limiter, key: () => 'client', finalCost: () => limiter.maxCharge + 2 });
    expect((await app.get('/')).status).toBe(200);
    await eventually(() => warnings().length > 0);
    expect(warnings()[0]?.message).toBe(
      `${PREFIX}${tail(`The charge failed: sluice: argument \`cost\` must be at most ${limiter.maxCharge} tokens for a charge (the largest debt counted exactly); got ${limiter.maxCharge + 1}`)}`,
    );
  });
});

/** The warning's text after its fixed prefix: the fixed part, then `detail`. */
function tail(detail: string): string {
  return (
    ', so nothing was charged or refunded for it: the `finalCost` callback threw or rejected, returned an unusable cost, or the store failed. Fix: return a whole number of tokens ≥ 0 (or an object of them by band name) and catch what may fail inside the callback. ' +
    detail
  );
}

/**
 * Apps whose own code sees the Node response before sluice does (an Express middleware, a Fastify onRequest
 * hook added before the plugin), as an app's logging or compression would: `GET /` answers 'ok' and `GET /hang`
 * never answers; each handler reports the Node response it answers on.
 */
interface WatchedApp {
  readonly url: string;
}

interface AppHooks {
  before?(response: ServerResponse, request: IncomingMessage): void;
  handler?(response: ServerResponse): void;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const APPS: readonly { name: string; start(options: object, hooks: AppHooks): Promise<WatchedApp> }[] = [
  ...(
    [
      ['Express 4', express4 as unknown as typeof express5],
      ['Express 5', express5],
    ] as const
  ).map(([name, factory]) => ({
    name,
    async start(options: object, hooks: AppHooks) {
      const app = factory();
      app.use((req: Request, res: Response, next: () => void) => {
        hooks.before?.(res, req);
        next();
      });
      app.use(rateLimit(options as ExpressRateLimitOptions));
      app.get('/', (_req: Request, res: Response) => {
        hooks.handler?.(res);
        res.send('ok');
      });
      app.get('/hang', (_req: Request, res: Response) => {
        hooks.handler?.(res);
      });
      return { url: await listenExpress(app, closers) };
    },
  })),
  ...(
    [
      ['Fastify 4', fastify4 as unknown as typeof fastify5],
      ['Fastify 5', fastify5],
    ] as const
  ).map(([name, factory]) => ({
    name,
    async start(options: object, hooks: AppHooks) {
      const app = (factory as unknown as (options: object) => FastifyInstance)({ forceCloseConnections: true });
      closers.push(() => app.close());
      app.addHook('onRequest', async (request, reply) => {
        hooks.before?.(reply.raw, request.raw);
      });
      await app.register(sluice, options as FastifyRateLimitOptions);
      app.get('/', async (_request, reply: FastifyReply) => {
        hooks.handler?.(reply.raw);
        return 'ok';
      });
      app.get('/hang', (_request, reply: FastifyReply) => {
        hooks.handler?.(reply.raw);
      });
      return { url: await app.listen({ port: 0, host: '127.0.0.1' }) };
    },
  })),
];

/** A limiter of 3 tokens on one key, and `finalCost` options that record each outcome's `finished` and settle to `final`. */
function recordedSettlement(final: number) {
  const seen: boolean[] = [];
  const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
  const options = {
    limiter,
    key: (): string | Promise<string> => 'client',
    finalCost: (_req: unknown, _res: unknown, outcome: { finished: boolean }) => {
      seen.push(outcome.finished);
      return final;
    },
  };
  return { seen, limiter, options };
}

describe.each(APPS)('$name: listening to the response', (target) => {
  it("settles at 'finish', before 'close', and leaves no listener of its own on the response", async () => {
    const seen: { finished: boolean; closeEmitted: boolean; finishLeft: number; closeLeft: number }[] = [];
    let closeEmitted = false;
    let before: { finish: unknown[]; close: unknown[] } = { finish: [], close: [] };
    let added: { finish: unknown[]; close: unknown[] } = { finish: [], close: [] };
    let response: ServerResponse | undefined;
    const limiter = new RateLimiter({ capacity: 3, refillRate: 3, interval: '1h' });
    const app = await target.start(
      {
        limiter,
        key: () => 'client',
        finalCost: (_req: unknown, _res: unknown, outcome: { finished: boolean }) => {
          const res = response as ServerResponse;
          seen.push({
            finished: outcome.finished,
            closeEmitted,
            finishLeft: res.listeners('finish').filter((listener) => added.finish.includes(listener)).length,
            closeLeft: res.listeners('close').filter((listener) => added.close.includes(listener)).length,
          });
          return 0;
        },
      },
      {
        before(res) {
          response = res;
          res.on('close', () => {
            closeEmitted = true;
          });
          before = { finish: res.listeners('finish'), close: res.listeners('close') };
        },
        handler(res) {
          added = {
            finish: res.listeners('finish').filter((listener) => !before.finish.includes(listener)),
            close: res.listeners('close').filter((listener) => !before.close.includes(listener)),
          };
        },
      },
    );
    expect(await (await fetch(app.url)).text()).toBe('ok');
    await eventually(() => closeEmitted);
    await sleep(20);
    expect(added.finish.length).toBeGreaterThan(0);
    expect(added.close.length).toBeGreaterThan(0);
    expect(seen).toEqual([{ finished: true, closeEmitted: false, finishLeft: 0, closeLeft: 0 }]);
    expect((await limiter.peek('client')).remaining).toBe(3);
  });

  it("a client that disconnects first: settled once at 'close' (not finished), and the 'finish' listener is removed", async () => {
    let before: unknown[] = [];
    let added: unknown[] = [];
    let response: ServerResponse | undefined;
    const { seen, limiter, options } = recordedSettlement(0);
    const app = await target.start(options, {
      before(res) {
        response = res;
        before = res.listeners('finish');
      },
      handler(res) {
        added = res.listeners('finish').filter((listener) => !before.includes(listener));
      },
    });
    const abort = new AbortController();
    const hanging = fetch(`${app.url}/hang`, { signal: abort.signal }).catch((error: Error) => error.name);
    await eventually(() => added.length > 0);
    abort.abort();
    expect(await hanging).toBe('AbortError');
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([false]);
    expect(response?.listeners('finish').filter((listener) => added.includes(listener))).toEqual([]);
    expect((await limiter.peek('client')).remaining).toBe(3);
  });

  it("settles once when another 'finish' listener emits 'close' while 'finish' is being emitted", async () => {
    const { seen, limiter, options } = recordedSettlement(2);
    const app = await target.start(options, {
      before(res) {
        res.once('finish', () => res.emit('close'));
      },
    });
    expect(await (await fetch(app.url)).text()).toBe('ok');
    await eventually(() => seen.length > 0);
    await sleep(50);
    expect(seen).toEqual([true]);
    expect((await limiter.peek('client')).remaining).toBe(1);
  });

  it('a response already closed when its decision arrives is settled at once, as not finished', async () => {
    let closed: () => void = () => {};
    const clientGone = new Promise<void>((resolve) => {
      closed = resolve;
    });
    const { seen, limiter, options } = recordedSettlement(0);
    const app = await target.start(
      {
        ...options,
        // The key is known only after the client has gone: the decision finds the response destroyed.
        key: async () => {
          await clientGone;
          return 'client';
        },
      },
      {
        before(res) {
          res.once('close', () => setImmediate(closed));
        },
      },
    );
    const abort = new AbortController();
    const hanging = fetch(app.url, { signal: abort.signal }).catch((error: Error) => error.name);
    await sleep(50);
    abort.abort();
    expect(await hanging).toBe('AbortError');
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([false]);
    await eventually(async () => (await limiter.peek('client')).remaining === 3);
  });
});
