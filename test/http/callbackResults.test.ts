/**
 * What the `key` and `cost` callbacks may return, at each boundary, and the errors made from what a callback
 * throws: through real Express 4/5 and Fastify 4/5 apps, each value returned as it is and as a promise.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter, SluiceError } from '../../src/index.js';
import { failOnUnhandledRejections } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS, type Running } from './frameworkTargets.js';

failOnUnhandledRejections();

const KEY_EXPECTED =
  'must return a non-empty string or a finite number (or a promise of one); return a fallback such as the client IP for requests that lack the field';
const COST_EXPECTED = 'must return a whole number of tokens ≥ 0, or an object of them by band name (or a promise of one)';

/** Values a callback returns, by the `x-case` header; as a promise with `x-async: 1`. */
function returning(values: readonly unknown[]) {
  return (req: { headers: Record<string, string | string[] | undefined> }) => {
    const value = values[Number(req.headers['x-case'])];
    return req.headers['x-async'] === '1' ? Promise.resolve(value) : value;
  };
}

const get = (app: Running, which: number, async: string) => app.get('/', { headers: { 'x-case': String(which), 'x-async': async } });

const badKeys: [unknown, string][] = [
  [undefined, 'undefined'],
  [null, 'null'],
  ['', '""'],
  [Number.NaN, 'NaN'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
  [Number.NEGATIVE_INFINITY, '-Infinity'],
  [true, 'true'],
  [{ id: 7 }, '{ id: 7 }'],
  [['a'], 'Array(1) ["a"]'],
];

const badCosts: [unknown, string][] = [
  [undefined, 'undefined'],
  [null, 'null'],
  [-1, '-1'],
  [-0.5, '-0.5'],
  [1.5, '1.5'],
  [0.25, '0.25'],
  [Number.EPSILON, String(Number.EPSILON)],
  [Number.NEGATIVE_INFINITY, '-Infinity'],
  [Number.POSITIVE_INFINITY, 'Infinity'],
  [Number.NaN, 'NaN'],
  ['1', '"1"'],
  [true, 'true'],
  [[1], 'Array(1) [1]'],
];

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it.each(['0', '1'])(
    'a key that is not a non-empty string or a finite number is an error with the whole message (async: %s)',
    async (async) => {
      const app = await target.start({ capacity: 5, refillRate: 5, interval: '1m', key: returning(badKeys.map(([value]) => value)) });
      for (const [which, [, described]] of badKeys.entries()) {
        const reply = await get(app, which, async);
        expect([described, reply.status, JSON.parse(reply.body)]).toEqual([
          described,
          500,
          { failed: 'SluiceArgumentError', message: `sluice: argument \`key\` ${KEY_EXPECTED}; got ${described}` },
        ]);
      }
      expect(app.handled()).toBe(0);
    },
  );

  it.each(['0', '1'])('a number key is its decimal string: 0 and -0 are the key "0" (async: %s)', async (async) => {
    const app = await target.start({ capacity: 2, refillRate: 2, interval: '1m', key: returning([0, -0, '0', 1.5, '1.5']) });
    expect([(await get(app, 0, async)).status, (await get(app, 1, async)).status, (await get(app, 2, async)).status]).toEqual([
      200, 200, 429,
    ]);
    expect([(await get(app, 3, async)).status, (await get(app, 4, async)).status, (await get(app, 3, async)).status]).toEqual([
      200, 200, 429,
    ]);
  });

  it.each(['0', '1'])(
    'a cost that is not a finite number ≥ 0 or an object is an error with the whole message (async: %s)',
    async (async) => {
      const app = await target.start({ capacity: 5, refillRate: 5, interval: '1m', cost: returning(badCosts.map(([value]) => value)) });
      for (const [which, [, described]] of badCosts.entries()) {
        const reply = await get(app, which, async);
        expect([described, reply.status, JSON.parse(reply.body)]).toEqual([
          described,
          500,
          { failed: 'SluiceArgumentError', message: `sluice: argument \`cost\` ${COST_EXPECTED}; got ${described}` },
        ]);
      }
      expect(app.handled()).toBe(0);
    },
  );

  it.each(['0', '1'])(
    'a cost of 0 or -0 takes nothing; an object of costs by band name is taken band by band (async: %s)',
    async (async) => {
      const limiter = new RateLimiter({
        limits: [
          { name: 'burst', capacity: 2, refillRate: 2, interval: '1m' },
          { name: 'hour', capacity: 10, refillRate: 10, interval: '1h' },
        ],
      });
      const app = await target.start({ limiter, cost: returning([0, -0, { burst: 1, hour: 4 }]) });
      for (const which of [0, 1]) {
        const free = await get(app, which, async);
        expect([which, free.status, JSON.parse(free.body).remaining]).toEqual([which, 200, 2]);
      }
      const byBand = await get(app, 2, async);
      expect(byBand.status).toBe(200);
      expect(byBand.headers.ratelimit).toBe('"burst";r=1;t=0, "hour";r=6;t=0');
    },
  );

  it('a callback that throws something other than an Error hands on a SluiceError whose cause is what it threw', async () => {
    const thrown = ['lookup failed', 42, { code: 'E_LOOKUP' }];
    const app = await target.start({
      capacity: 5,
      refillRate: 5,
      interval: '1m',
      key: (req: { headers: Record<string, string | string[] | undefined> }) => {
        throw thrown[Number(req.headers['x-case'])];
      },
    });
    for (const which of thrown.keys()) expect((await get(app, which, '0')).status).toBe(500);
    expect(app.errors.map((error) => [error instanceof SluiceError, error.message, error.cause])).toEqual([
      [true, 'sluice: a callback threw or rejected with "lookup failed", not an Error', 'lookup failed'],
      [true, 'sluice: a callback threw or rejected with 42, not an Error', 42],
      [true, 'sluice: a callback threw or rejected with { code: "E_LOOKUP" }, not an Error', thrown[2]],
    ]);
    expect(app.errors[2]?.cause).toBe(thrown[2]);
  });

  it('a callback that throws an Error hands on that very Error; a revoked proxy becomes a SluiceError without a cause', async () => {
    const failure = new TypeError('lookup failed');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const thrown = [failure, proxy];
    const app = await target.start({
      capacity: 5,
      refillRate: 5,
      interval: '1m',
      cost: (req: { headers: Record<string, string | string[] | undefined> }) => Promise.reject(thrown[Number(req.headers['x-case'])]),
    });
    for (const which of thrown.keys()) expect((await get(app, which, '0')).status).toBe(500);
    expect(app.errors[0]).toBe(failure);
    expect(app.errors[1]).toBeInstanceOf(SluiceError);
    expect(Object.hasOwn(app.errors[1] as Error, 'cause')).toBe(false);
  });
});
