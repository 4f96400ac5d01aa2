/**
 * The HTTP edge against the request shapes and setups that users of the peers have reported as bugs:
 * client addresses with ports and other spellings, asynchronous and unusable callback results, and
 * decisions that arrive after the response went. Every scenario runs through real Express 4 and 5
 * (listening on the loopback, behind `trust proxy: 'loopback'`) and real Fastify 4 and 5 (with
 * `trustProxy: '127.0.0.1'`), on the memory store and on Redis where a store is involved.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { inspect } from 'node:util';
import express5, { type ErrorRequestHandler, type Express } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressRateLimitOptions, rateLimit } from '../adapters/express.js';
import sluice, { type FastifyRateLimitOptions } from '../adapters/fastify.js';
import type { Decision } from '../src/index.js';
import {
  captureWarnings,
  failOnUnhandledRejections,
  listenExpress,
  rateLimitHeaders,
  storeVariants,
  tick,
} from './http/adapterTestSupport.js';
import { SlowStore } from './setup/slowStore.js';

/** What the callbacks of these tests read: both frameworks' requests have Node's headers. */
type AnyRequest = { headers: IncomingHttpHeaders };

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** A running app: GET / answers 'ok' behind the limiter. */
interface Started {
  get(headers?: Record<string, string>): Promise<Reply>;
  /** How often the route handler ran. */
  readonly handled: number;
  /** What reached the framework's error handler. */
  readonly errors: Error[];
  /** The framework's log lines at warn level and above (Fastify logs a reply sent twice there). */
  readonly logged: string[];
}

/** Something that answers the request before the limiter ran: at once (then calls next), or after `n` ms (a timeout). */
type FirstAnswer = 'at once' | number;

interface Target {
  readonly name: string;
  readonly isFastify: boolean;
  start(options: object, first?: FirstAnswer): Promise<Started>;
  /** Sends a response from a callback (onLimited, onDecision) this framework's way. */
  send(res: unknown, status: number, body: string): void;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function listen(app: Express): Promise<string> {
  return listenExpress(app, closers);
}

function expressTarget(name: string, factory: typeof express5): Target {
  return {
    name,
    isFastify: false,
    async start(options, first) {
      const app = factory();
      app.set('trust proxy', 'loopback');
      const state = { handled: 0, errors: [] as Error[], logged: [] as string[] };
      if (first === 'at once') {
        app.use((_req, res, next) => {
          res.status(503).send('answered first');
          next();
        });
      } else if (first !== undefined) {
        app.use((_req, res, next) => {
          setTimeout(() => {
            if (!res.headersSent) res.status(503).send('timed out');
          }, first);
          next();
        });
      }
      app.use(rateLimit(options as ExpressRateLimitOptions));
      app.get('/', (_req, res) => {
        state.handled++;
        res.send('ok');
      });
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        state.errors.push(error);
        if (!res.headersSent) res.status(500).json({ failed: error.name, message: error.message });
      };
      app.use(onError);
      const url = await listen(app);
      return {
        async get(headers = {}) {
          const response = await fetch(url, { headers });
          return { status: response.status, body: await response.text(), headers: rateLimitHeaders(response.headers) };
        },
        get handled() {
          return state.handled;
        },
        errors: state.errors,
        logged: state.logged,
      };
    },
    send(res, status, body) {
      (res as import('express').Response).status(status).send(body);
    },
  };
}

function fastifyTarget(name: string, factory: typeof fastify5): Target {
  return {
    name,
    isFastify: true,
    async start(options, first) {
      const state = { handled: 0, errors: [] as Error[], logged: [] as string[] };
      const app = (factory as unknown as (options: object) => FastifyInstance)({
        trustProxy: '127.0.0.1',
        logger: { level: 'warn', stream: { write: (line: string) => state.logged.push(line) } },
      });
      closers.push(() => app.close());
      app.setErrorHandler((error, _request, reply) => {
        state.errors.push(error as Error);
        if (!reply.sent) reply.code(500).send({ failed: (error as Error).name, message: (error as Error).message });
      });
      if (first === 'at once') {
        app.addHook('onRequest', (_request, reply, done) => {
          reply.code(503).send('answered first');
          done();
        });
      } else if (first !== undefined) {
        app.addHook('onRequest', (_request, reply, done) => {
          setTimeout(() => {
            if (!reply.sent) reply.code(503).send('timed out');
          }, first);
          done();
        });
      }
      await app.register(sluice, options as FastifyRateLimitOptions);
      app.get('/', async () => {
        state.handled++;
        return 'ok';
      });
      await app.ready();
      return {
        async get(headers = {}) {
          const response = await app.inject({ url: '/', headers });
          return { status: response.statusCode, body: response.body, headers: rateLimitHeaders(Object.entries(response.headers)) };
        },
        get handled() {
          return state.handled;
        },
        errors: state.errors,
        logged: state.logged,
      };
    },
    send(res, status, body) {
      (res as FastifyReply).code(status).send(body);
    },
  };
}

const targets: Target[] = [
  expressTarget('Express 4', express4 as unknown as typeof express5),
  expressTarget('Express 5', express5),
  fastifyTarget('Fastify 4', fastify4 as unknown as typeof fastify5),
  fastifyTarget('Fastify 5', fastify5),
];

const warnings = captureWarnings();
const stores = storeVariants('edge');

failOnUnhandledRejections();

async function statuses(app: Started, requests: Record<string, string>[]): Promise<number[]> {
  const seen: number[] = [];
  for (const headers of requests) seen.push((await app.get(headers)).status);
  return seen;
}

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const header = (req: AnyRequest, name: string) => req.headers[name] as string | undefined;

describe.each(targets)('$name', (target) => {
  describe('client addresses', () => {
    const limit = { capacity: 2, refillRate: 2, interval: '1h' };

    it('keys a forwarded address with a port on the address alone', async () => {
      const app = await target.start(limit);
      const ports = [50001, 50002, 50003, 50004, 50005, 50006];
      expect(
        await statuses(
          app,
          ports.map((port) => from(`203.0.113.7:${port}`)),
        ),
      ).toEqual([200, 200, 429, 429, 429, 429]);
      expect((await app.get(from('203.0.113.8:50001'))).status).toBe(200);
      expect(app.handled).toBe(3);
    });

    it('keys bracketed IPv6 with a port on its /56, with or without the port', async () => {
      const app = await target.start(limit);
      expect(await statuses(app, [from('[2001:db8:1:2::7]:443'), from('[2001:db8:1:ff::8]:50002'), from('[2001:db8:1:2::9]')])).toEqual([
        200, 200, 429,
      ]);
      expect((await app.get(from('2001:db8:1:2::a'))).status).toBe(429);
      expect((await app.get(from('[2001:db8:1:300::7]:443'))).status).toBe(200);
    });

    it('keys IPv4-mapped IPv6 in every spelling on the IPv4 address', async () => {
      const app = await target.start(limit);
      expect(await statuses(app, [from('::ffff:198.51.100.9'), from('::FFFF:C633:6409'), from('[::ffff:198.51.100.9]:8080')])).toEqual([
        200, 200, 429,
      ]);
      expect(await statuses(app, [from('198.51.100.9:1'), from('198.51.100.9'), from('0:0:0:0:0:ffff:c633:6409')])).toEqual([
        429, 429, 429,
      ]);
    });

    it('drops a zone id', async () => {
      const app = await target.start(limit);
      expect(await statuses(app, [from('fe80::1%eth0'), from('fe80::2%eth1'), from('[fe80::3%25eth0]:443')])).toEqual([200, 200, 429]);
    });

    it('reads an allowList address the same way', async () => {
      const app = await target.start({ ...limit, capacity: 1, allowList: ['203.0.113.0/24', '2001:db8::/32'] });
      expect(
        await statuses(app, [from('203.0.113.7:50001'), from('203.0.113.7:50001'), from('[2001:db8::1]:443'), from('[2001:db8::1]:443')]),
      ).toEqual([200, 200, 200, 200]);
      expect((await app.get(from('203.0.113.7:50001'))).headers).toEqual({});
      expect(await statuses(app, [from('198.51.100.1:1'), from('198.51.100.1:2')])).toEqual([200, 429]);
    });

    it('refuses a client IP that is not an address: an error for the error handler, and one warning naming it', async () => {
      const app = await target.start(limit);
      for (const value of ['unknown', 'unknown', '_hidden', '203.0.113.7:99999']) {
        const reply = await app.get(from(value));
        expect(reply.status).toBe(500);
        expect(JSON.parse(reply.body)).toMatchObject({ failed: 'SluiceArgumentError', message: expect.stringContaining('trust proxy') });
      }
      expect(app.handled).toBe(0);
      expect(app.errors.map((error) => error.name)).toEqual([
        'SluiceArgumentError',
        'SluiceArgumentError',
        'SluiceArgumentError',
        'SluiceArgumentError',
      ]);
      expect(await statuses(app, [from('203.0.113.7'), from('203.0.113.7:1'), from('203.0.113.7:2')])).toEqual([200, 200, 429]);
      await tick();
      expect(warnings().map((w) => w.code)).toEqual(['SLUICE_CLIENT_IP_NOT_AN_ADDRESS']);
      expect(warnings()[0]?.message).toContain('"unknown"');
      expect(warnings()[0]?.message).toContain('`key` function');
    });

    it('still refuses it with warnings: false, without the warning', async () => {
      const app = await target.start({ ...limit, warnings: false });
      expect((await app.get(from('unknown'))).status).toBe(500);
      await tick();
      expect(warnings()).toEqual([]);
    });
  });

  describe.each(stores)('%s store', (_store, storeOptions) => {
    const withStore = (options: object) => ({ ...options, ...storeOptions?.() });

    describe('asynchronous callbacks', () => {
      it.skipIf(storeOptions === undefined)('awaits an async key, cost, skip and allowList', async () => {
        const app = await target.start(
          withStore({
            capacity: 3,
            refillRate: 3,
            interval: '1h',
            key: async (req: AnyRequest) => header(req, 'x-api-key') ?? 'anonymous',
            cost: async (req: AnyRequest) => Number(header(req, 'x-cost') ?? 1),
            skip: async (req: AnyRequest) => header(req, 'x-skip') === '1',
            allowList: async (req: AnyRequest) => header(req, 'x-internal') === 'yes',
          }),
        );
        const first = await app.get({ 'x-api-key': 'k1', 'x-cost': '2' });
        expect([first.status, first.headers.ratelimit]).toEqual([200, '"default";r=1;t=0']);
        expect((await app.get({ 'x-api-key': 'k1', 'x-cost': '2' })).status).toBe(429);
        expect(await app.get({ 'x-api-key': 'k1', 'x-cost': '2', 'x-skip': '1' })).toMatchObject({ status: 200, headers: {} });
        expect(await app.get({ 'x-api-key': 'k1', 'x-cost': '2', 'x-internal': 'yes' })).toMatchObject({ status: 200, headers: {} });
        expect((await app.get({ 'x-api-key': 'k1' })).headers.ratelimit).toBe('"default";r=0;t=1200');
        expect((await app.get({ 'x-api-key': 'k2', 'x-cost': '3' })).status).toBe(200);
        expect(app.errors).toEqual([]);
      });

      it.skipIf(storeOptions === undefined)('awaits an async message, onDecision and onLimited', async () => {
        const seen: [string, boolean][] = [];
        const app = await target.start(
          withStore({
            capacity: 1,
            refillRate: 1,
            interval: '1h',
            key: (req: AnyRequest) => header(req, 'x-api-key') ?? 'anonymous',
            message: async (_req: unknown, decision: Decision) => ({ wait: decision.retryAfterMs > 0 }),
            onDecision: async (_req: unknown, decision: Decision, key: string) => {
              await tick();
              seen.push([key, decision.allowed]);
            },
          }),
        );
        expect((await app.get({ 'x-api-key': 'a' })).status).toBe(200);
        const refused = await app.get({ 'x-api-key': 'a' });
        expect([refused.status, JSON.parse(refused.body)]).toEqual([429, { wait: true }]);
        expect(seen).toEqual([
          ['a', true],
          ['a', false],
        ]);
        const custom = await target.start(
          withStore({
            capacity: 1,
            refillRate: 1,
            interval: '1h',
            onLimited: async (_req: unknown, res: unknown) => {
              await tick();
              target.send(res, 418, 'custom');
            },
          }),
        );
        expect(await statuses(custom, [{}, {}])).toEqual([200, 418]);
      });

      const failing = ['key', 'cost', 'skip', 'allowList', 'message', 'onLimited', 'onDecision'] as const;
      const modes = ['throws', 'rejects', 'rejects with undefined', 'rejects with a hostile proxy', 'throws a revoked proxy'] as const;
      /** Values whose very inspection throws: `instanceof` on them runs a trap that throws, or hits a revoked proxy. */
      const hostile = () =>
        new Proxy(
          {},
          {
            getPrototypeOf: () => {
              throw new Error('trap');
            },
          },
        );
      const revoked = () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      };
      it.skipIf(storeOptions === undefined).each(failing.flatMap((callback) => modes.map((mode) => [callback, mode] as const)))(
        'a %s that %s reaches the error handler and the server keeps serving',
        async (callback, mode) => {
          const failure = new Error(`${callback} failed`);
          // Fails only for requests that ask for it, so the same app shows it keeps serving.
          const fail = (req: AnyRequest, value: unknown) => {
            if (header(req, 'x-fail') !== '1') return value;
            if (mode === 'throws') throw failure;
            if (mode === 'throws a revoked proxy') throw revoked();
            if (mode === 'rejects with a hostile proxy') return Promise.reject(hostile());
            return mode === 'rejects' ? Promise.reject(failure) : Promise.reject(undefined);
          };
          const callbacks: Record<(typeof failing)[number], object> = {
            key: { key: (req: AnyRequest) => fail(req, 'k') },
            cost: { cost: (req: AnyRequest) => fail(req, 1) },
            skip: { skip: (req: AnyRequest) => fail(req, false) },
            allowList: { allowList: (req: AnyRequest) => fail(req, false) },
            message: { message: (req: AnyRequest) => fail(req, 'slow down') },
            onLimited: {
              onLimited: (req: AnyRequest, res: unknown) => {
                if (header(req, 'x-fail') !== '1') target.send(res, 429, 'slow down');
                return fail(req, undefined);
              },
            },
            onDecision: { onDecision: (req: AnyRequest) => fail(req, undefined) },
          };
          // message and onLimited run on refusals only: a bucket of one token, taken by the first request.
          const refusing = callback === 'message' || callback === 'onLimited';
          const app = await target.start(withStore({ capacity: refusing ? 1 : 5, refillRate: 1, interval: '1h', ...callbacks[callback] }));
          if (refusing) expect((await app.get()).status).toBe(200);
          const failed = await app.get({ 'x-fail': '1' });
          expect(failed.status).toBe(500);
          const body = JSON.parse(failed.body);
          if (mode === 'throws' || mode === 'rejects') expect(body.message).toBe(failure.message);
          else if (mode === 'rejects with undefined')
            expect(body.message).toBe('sluice: a callback threw or rejected with undefined, not an Error');
          else expect(body.message).toMatch(/^sluice: a callback threw or rejected with .{1,130}, not an Error$/);
          expect(app.errors).toHaveLength(1);
          expect(() => inspect(app.errors[0])).not.toThrow();
          expect(app.handled).toBe(refusing ? 1 : 0);
          // The server lives on: ordinary requests are answered as before.
          expect((await app.get()).status).toBe(refusing ? 429 : 200);
        },
      );
    });

    describe('unusable keys and costs', () => {
      const values: [string, unknown][] = [
        ['undefined', undefined],
        ['null', null],
        ["''", ''],
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['an object', { id: 7 }],
        ['an array', ['a']],
        ['true', true],
        ['false', false],
        ['a function', () => 'k'],
      ];

      it.skipIf(storeOptions === undefined)(
        'a key function returning an unusable value, sync or async, never skips the limiter: an error naming `key`',
        async () => {
          const app = await target.start(
            withStore({
              capacity: 2,
              refillRate: 1,
              interval: '1h',
              key: (req: AnyRequest) => {
                const value = values[Number(header(req, 'x-case'))]?.[1];
                return header(req, 'x-async') === '1' ? Promise.resolve(value) : value;
              },
            }),
          );
          for (const [i, [name]] of values.entries()) {
            for (const async of ['0', '1']) {
              const reply = await app.get({ 'x-case': String(i), 'x-async': async });
              expect([name, async, reply.status]).toEqual([name, async, 500]);
              expect(JSON.parse(reply.body)).toMatchObject({ failed: 'SluiceArgumentError', message: expect.stringContaining('`key`') });
            }
          }
          expect(app.handled).toBe(0);
          expect(app.errors).toHaveLength(values.length * 2);
          // Error handlers log what they get (Express 5's default one does): inspecting it must not throw.
          for (const error of app.errors) expect(() => inspect(error)).not.toThrow();
        },
      );

      it.skipIf(storeOptions === undefined)('a key function returning a revoked Proxy gets an error a logger can inspect', async () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        const app = await target.start(withStore({ capacity: 2, refillRate: 1, interval: '1h', key: () => proxy }));
        const reply = await app.get();
        expect(reply.status).toBe(500);
        expect(JSON.parse(reply.body)).toMatchObject({ failed: 'SluiceArgumentError', message: expect.stringContaining('`key`') });
        expect(app.errors).toHaveLength(1);
        expect(() => inspect(app.errors[0])).not.toThrow();
      });

      it.skipIf(storeOptions === undefined)('a finite number key is the key of its decimal string', async () => {
        const app = await target.start(
          withStore({
            capacity: 2,
            refillRate: 1,
            interval: '1h',
            key: (req: AnyRequest) => (header(req, 'x-as') === 'string' ? '42' : 42),
          }),
        );
        expect(await statuses(app, [{}, { 'x-as': 'string' }, {}])).toEqual([200, 200, 429]);
      });

      it.skipIf(storeOptions === undefined)(
        'a cost function returning a bad value is an error naming `cost`, and takes nothing',
        async () => {
          const costs: unknown[] = [undefined, null, -1, Number.NaN, Number.POSITIVE_INFINITY, '2', {}, true];
          const app = await target.start(
            withStore({
              capacity: 3,
              refillRate: 1,
              interval: '1h',
              cost: (req: AnyRequest) => {
                const which = header(req, 'x-case');
                if (which === undefined) return 1;
                const value = which === 'big' ? 4 : costs[Number(which)];
                return header(req, 'x-async') === '1' ? Promise.resolve(value) : value;
              },
            }),
          );
          for (const async of ['0', '1']) {
            for (const i of costs.keys()) {
              const reply = await app.get({ 'x-case': String(i), 'x-async': async });
              expect([i, async, reply.status]).toEqual([i, async, 500]);
              expect(JSON.parse(reply.body)).toMatchObject({ failed: 'SluiceArgumentError', message: expect.stringContaining('`cost`') });
            }
            const big = await app.get({ 'x-case': 'big', 'x-async': async });
            expect([big.status, JSON.parse(big.body).failed]).toEqual([500, 'CostExceedsCapacityError']);
          }
          expect(app.handled).toBe(0);
          expect((await app.get()).headers.ratelimit).toBe('"default";r=2;t=0');
        },
      );
    });
  });

  describe('a response that is gone already', () => {
    const memory = stores.filter(([name]) => name === 'memory');
    const asynchronous: typeof stores = [['slow', () => ({ store: new SlowStore(40) })], ...stores.filter(([name]) => name === 'redis')];

    /** The request was answered by someone else: the limiter wrote nothing, sent nothing, went on to nothing. */
    async function expectLeftAlone(app: Started, reply: Reply, status: number, body: string) {
      expect([reply.status, reply.body]).toEqual([status, body]);
      expect(reply.headers).toEqual({});
      await new Promise((resolve) => setTimeout(resolve, 80)); // the late decision arrives meanwhile
      expect(app.errors).toEqual([]);
      expect(app.handled).toBe(0);
      expect(app.logged).toEqual([]);
    }

    it.each([...memory, ...asynchronous])(
      'a middleware answered before the limiter ran (%s store): allowed and refused decisions leave it alone',
      async (_name, storeOptions) => {
        if (storeOptions === undefined) return;
        const app = await target.start({ capacity: 1, refillRate: 1, interval: '1h', ...storeOptions() }, 'at once');
        await expectLeftAlone(app, await app.get(), 503, 'answered first');
        await expectLeftAlone(app, await app.get(), 503, 'answered first');
      },
    );

    it('a timeout answered while a slow store was deciding: the late decisions leave it alone', async () => {
      const app = await target.start({ capacity: 1, refillRate: 1, interval: '1h', store: new SlowStore(40) }, 10);
      await expectLeftAlone(app, await app.get(), 503, 'timed out'); // allowed
      await expectLeftAlone(app, await app.get(), 503, 'timed out'); // refused
    });

    it('a timeout answered while an async callback was running: its late result leaves it alone', async () => {
      const late = <T>(value: T) => new Promise<T>((resolve) => setTimeout(resolve, 40, value));
      for (const options of [{ skip: () => late(false) }, { skip: () => late(true) }, { key: () => late('k') }, { cost: () => late(1) }]) {
        const app = await target.start({ capacity: 1, refillRate: 1, interval: '1h', ...options }, 10);
        await expectLeftAlone(app, await app.get(), 503, 'timed out');
      }
    });
  });
});

it('types every callback as value-or-promise, and a key as a string or a number (checked by tsc)', () => {
  const base = { capacity: 1, refillRate: 1 } as const;
  rateLimit({
    ...base,
    key: async (req) => req.get('x-api-key') ?? req.ip ?? 'anonymous',
    cost: async (req) => (req.method === 'GET' ? 1 : 2),
    skip: async () => false,
    allowList: async () => false,
    message: async () => ({ error: 'slow down' }),
    onLimited: async (_req, res) => {
      res.status(429).end();
    },
    onDecision: async () => {},
  });
  rateLimit({ ...base, key: (req) => Number(req.get('x-user-id')) });
  // @ts-expect-error: a key function may not return undefined (a request without the header)
  rateLimit({ ...base, key: (req) => req.get('x-api-key') });
  // @ts-expect-error: nor a promise of undefined
  rateLimit({ ...base, key: async (req) => req.get('x-api-key') });
  // @ts-expect-error: a cost is a number
  rateLimit({ ...base, cost: async () => '2' });
  const fastifyOptions: FastifyRateLimitOptions = {
    ...base,
    key: async (request) => request.ip,
    // Returning the reply (a thenable) is fine: it is awaited until the response is sent.
    onLimited: (_request, reply) => reply.code(418).send('custom'),
  };
  expect(fastifyOptions.onLimited).toBeTypeOf('function');
});

describe.each(targets.filter((target) => target.isFastify))('$name: onLimited returning the reply', (target) => {
  it('answers with its response and does not hang on the reply it returned', async () => {
    const app = await target.start({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      onLimited: (_request: unknown, reply: FastifyReply) => reply.code(418).send('custom'),
    });
    expect(await statuses(app, [{}, {}])).toEqual([200, 418]);
    expect(app.errors).toEqual([]);
    expect(app.logged).toEqual([]);
  });
});

describe.each(targets.filter((target) => !target.isFastify))('$name: onDecision answering the request itself', (target) => {
  it.each(stores)(
    'the limiter leaves the response there (%s store), whether onDecision answers at once or later',
    async (_name, storeOptions) => {
      if (storeOptions === undefined) return;
      for (const later of [false, true]) {
        const app = await target.start({
          capacity: 1,
          refillRate: 1,
          interval: '1h',
          ...storeOptions(),
          onDecision: (req: import('express').Request, decision: Decision) => {
            const answer = () => {
              req.res?.status(202).send(`decided: ${decision.allowed}`);
            };
            return later ? tick().then(answer) : answer();
          },
        });
        for (const allowed of [true, false]) {
          const reply = await app.get();
          expect([reply.status, reply.body]).toEqual([202, `decided: ${allowed}`]);
          await tick();
          expect(app.errors).toEqual([]);
          expect(app.handled).toBe(0);
        }
      }
    },
  );
});

describe.each([
  ['Fastify 4', fastify4 as unknown as typeof fastify5],
  ['Fastify 5', fastify5],
])('%s: routes registered before the plugin', (_name, factory) => {
  const make = () => {
    const app = (factory as unknown as () => FastifyInstance)();
    closers.push(() => app.close());
    return app;
  };
  const limit = { capacity: 1, refillRate: 1, interval: '1h' } as const;
  const codes = async () => {
    await tick();
    return warnings().map((w) => w.code);
  };
  const hits = async (app: FastifyInstance, url: string, count = 2) => {
    const seen: number[] = [];
    for (let i = 0; i < count; i++) seen.push((await app.inject({ url })).statusCode);
    return seen;
  };

  it('does not warn for a plugin in a child context when only the parent has earlier routes', async () => {
    const app = make();
    app.get('/', async () => 'root');
    app.get('/parent', async () => 'parent');
    await app.register(
      async (child) => {
        await child.register(sluice, limit);
        child.get('/child', async () => 'child');
      },
      { prefix: '/api' },
    );
    await app.register(async (child) => {
      await child.register(sluice, limit);
      child.get('/other', async () => 'other');
    });
    expect(await hits(app, '/api/child')).toEqual([200, 429]);
    expect(await hits(app, '/other')).toEqual([200, 429]);
    expect(await hits(app, '/parent')).toEqual([200, 200]);
    expect(await codes()).toEqual([]);
  });

  it('does not warn for routes of a sibling context, or routes the parent adds later', async () => {
    const app = make();
    app.register(async (sibling) => {
      sibling.get('/sibling', async () => 'sibling');
    });
    app.register(async (child) => {
      await child.register(sluice, limit);
      child.get('/child', async () => 'child');
      child.get('/exempt', { config: { rateLimit: false } }, async () => 'exempt');
    });
    app.get('/later', async () => 'later');
    expect(await hits(app, '/child')).toEqual([200, 429]);
    expect(await hits(app, '/exempt')).toEqual([200, 200]);
    expect(await codes()).toEqual([]);
  });

  it('warns for a route of its own context registered before it, which it does not limit', async () => {
    const app = make();
    app.get('/parent', async () => 'parent');
    await app.register(async (child) => {
      child.get('/early', async () => 'early');
      await child.register(sluice, limit);
      child.get('/late', async () => 'late');
    });
    expect(await hits(app, '/early')).toEqual([200, 200]);
    expect(await hits(app, '/late')).toEqual([200, 429]);
    expect(await codes()).toEqual(['SLUICE_ROUTES_BEFORE_PLUGIN']);
  });

  it('warns for a route of a context inside its own that was registered before it', async () => {
    const app = make();
    await app.register(async (child) => {
      await child.register(async (grandchild) => {
        grandchild.get('/inner', async () => 'inner');
      });
      await child.register(sluice, limit);
    });
    expect(await hits(app, '/inner')).toEqual([200, 200]);
    expect(await codes()).toEqual(['SLUICE_ROUTES_BEFORE_PLUGIN']);
  });

  it('does not warn for a route an earlier registration limits: of its own context, or of a parent', async () => {
    const app = make();
    await app.register(sluice, limit);
    app.get('/between', async () => 'between');
    await app.register(sluice, { ...limit, capacity: 5, refillRate: 5 });
    await app.register(async (child) => {
      child.get('/early', async () => 'early');
      await child.register(sluice, { ...limit, capacity: 3, refillRate: 3 });
    });
    // Each limited by the registration that saw it: the first at the root, the root's (both) in the child.
    expect(await hits(app, '/between')).toEqual([200, 429]);
    expect(await hits(app, '/early')).toEqual([429, 429]);
    expect(await codes()).toEqual([]);
  });

  it('stays quiet with warnings: false', async () => {
    const app = make();
    app.get('/early', async () => 'early');
    await app.register(sluice, { ...limit, warnings: false });
    await app.ready();
    expect(await codes()).toEqual([]);
  });
});
