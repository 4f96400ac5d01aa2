/**
 * The adapters' own checks and corners, through real Express 4/5 and Fastify 4/5 apps: what `req.rateLimit`
 * becomes when the app assigns it, the Fastify plugin's `global` option, `fastify.rateLimit(options)` and a route's
 * `config.rateLimit` given something other than an options object, and `fastify.rateLimit` called detached.
 */
import express5, { type Express } from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import sluice, { type FastifyRateLimitHookHandler } from '../adapters/fastify.js';
import { SluiceConfigError } from '../src/index.js';
import { listenExpress } from './http/adapterTestSupport.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const EXPRESS: [string, () => Express][] = [
  ['Express 4', () => (express4 as unknown as () => Express)()],
  ['Express 5', () => express5()],
];
const FASTIFY: [string, () => FastifyInstance][] = [
  ['Fastify 4', () => (fastify4 as unknown as () => FastifyInstance)()],
  ['Fastify 5', () => fastify5()],
];

describe.each(EXPRESS)('%s', (_name, make) => {
  it('req.rateLimit assigned by the app becomes its own writable, enumerable, configurable property', async () => {
    const app = make();
    app.get('/', rateLimit({ capacity: 5, refillRate: 5, interval: '1m' }), (req, res) => {
      const counted = req.rateLimit?.remaining;
      (req as { rateLimit?: unknown }).rateLimit = 'mine';
      res.json({ counted, after: req.rateLimit, own: Object.getOwnPropertyDescriptor(req, 'rateLimit') });
    });
    const url = await listenExpress(app, closers);
    const body = await (await fetch(`${url}/`)).json();
    expect(body).toEqual({ counted: 4, after: 'mine', own: { value: 'mine', writable: true, enumerable: true, configurable: true } });
  });
});

describe.each(FASTIFY)('%s', (_name, make) => {
  function app(): FastifyInstance {
    const instance = make();
    closers.push(() => instance.close());
    return instance;
  }

  it.each([['yes'], [1], [null]])('global: %o is refused naming the option and the value', async (value) => {
    const instance = app();
    const registering = instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m', global: value as unknown as boolean });
    const error = await registering.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(SluiceConfigError);
    expect((error as Error).message).toBe(
      `sluice: option \`global\` must be true or false (false: only routes with \`config.rateLimit\`); got ${JSON.stringify(value)}`,
    );
  });

  it.each([[null], [5], ['free']])('fastify.rateLimit(%o) is refused naming the argument and the value', async (value) => {
    const instance = app();
    await instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m' });
    expect(() => instance.rateLimit(value as never)).toThrow(SluiceConfigError);
    expect(() => instance.rateLimit(value as never)).toThrow(
      `sluice: option \`rateLimit(options)\` must be an options object or nothing; got ${JSON.stringify(value)}`,
    );
  });

  it.each([[null], [5], ['free'], [true]])('a route config.rateLimit of %o is refused naming it and the value', async (value) => {
    const instance = app();
    await instance.register(sluice, { capacity: 5, refillRate: 5, interval: '1m' });
    expect(() => instance.get('/', { config: { rateLimit: value as never } }, async () => 'ok')).toThrow(
      `sluice: option \`config.rateLimit\` must be an options object or false; got ${JSON.stringify(value)}`,
    );
  });

  it('fastify.rateLimit called without an instance (detached, or on null) gives the plugin’s hook', async () => {
    const instance = app();
    await instance.register(sluice, { capacity: 1, refillRate: 1, interval: '1m', global: false });
    const detached = instance.rateLimit as (options?: object) => FastifyRateLimitHookHandler;
    const hooks = [detached(), detached.call(null), detached.call(instance)];
    expect(hooks[0]).toBe(hooks[2]);
    expect(hooks[1]).toBe(hooks[2]);
    instance.get('/', { onRequest: hooks[0] }, async () => 'ok');
    const first = await instance.inject({ url: '/' });
    const second = await instance.inject({ url: '/' });
    expect([first.statusCode, second.statusCode]).toEqual([200, 429]);
  });
});
