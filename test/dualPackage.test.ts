/**
 * Two copies of sluice in one process, as an app gets when it loads the ES module build through `import` and a
 * dependency loads the CommonJS build through `require`: objects built by one copy must work with the other.
 * Builds the package (the real tsup build, without declarations) into a scratch folder and loads both outputs.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import Fastify from 'fastify';
import { build, type Options } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitsFingerprint } from '../src/core/keyNamespace.js';
import type * as Core from '../src/index.js';
import { MemoryStore, RateLimiter, SluiceError } from '../src/index.js';
import tsupConfig from '../tsup.config.js';
import { FailingStore } from './setup/failingStore.js';

type ExpressEntry = typeof import('../adapters/express.js');
type FastifyEntry = typeof import('../adapters/fastify.js');

interface Copy {
  readonly name: string;
  readonly core: typeof Core;
  readonly express: ExpressEntry;
  readonly fastify: FastifyEntry;
}

const outDir = join(import.meta.dirname, '..', '.tmp', `dual-package-${process.pid}`);
let esm: Copy;
let cjs: Copy;

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  await build({ ...(tsupConfig as Options), outDir, dts: false, sourcemap: false, silent: true, config: false });
  const load = (entry: string) => import(pathToFileURL(join(outDir, `${entry}.js`)).href);
  const require = createRequire(join(outDir, 'index.cjs'));
  esm = { name: 'import', core: await load('index'), express: await load('express'), fastify: await load('fastify') };
  cjs = {
    name: 'require',
    core: require('./index.cjs'),
    express: require('./express.cjs'),
    fastify: require('./fastify.cjs'),
  };
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

async function expressStatuses(handler: ReturnType<ExpressEntry['rateLimit']>, count: number): Promise<number[]> {
  const app = express();
  app.use(handler);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await fetch(url)).status);
    return statuses;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function fastifyStatuses(copy: Copy, options: Parameters<FastifyEntry['sluice']>[1], count: number): Promise<number[]> {
  const app = Fastify();
  await app.register(copy.fastify.sluice, options);
  app.get('/', async () => 'ok');
  try {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await app.inject({ method: 'GET', url: '/' })).statusCode);
    return statuses;
  } finally {
    await app.close();
  }
}

/** Two capacities whose limits fingerprints collide, so two limiters on one prefix would share a namespace. */
function collidingCapacities(): [number, number] {
  const seen = new Map<string, number>();
  for (let capacity = 1; ; capacity++) {
    const fingerprint = limitsFingerprint(new RateLimiter({ capacity, refillRate: 1, interval: '1h' }).limits);
    const earlier = seen.get(fingerprint);
    if (earlier !== undefined) return [earlier, capacity];
    seen.set(fingerprint, capacity);
  }
}

/** Each direction: objects of `from` handed to `to`. */
const directions = (): [string, Copy, Copy][] => [
  ['built through import, used through require', esm, cjs],
  ['built through require, used through import', cjs, esm],
];

describe('two copies of sluice in one process', () => {
  it('are two copies', () => {
    expect(esm.core.RateLimiter).not.toBe(cjs.core.RateLimiter);
    expect(esm.core.MemoryStore).not.toBe(cjs.core.MemoryStore);
  });

  it('a limiter of one copy limits through the Express middleware of the other', async () => {
    for (const [, from, to] of directions()) {
      const limiter = new from.core.RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
      expect(limiter).toBeInstanceOf(to.core.RateLimiter);
      expect(await expressStatuses(to.express.rateLimit({ limiter }), 3)).toEqual([200, 200, 429]);
    }
  });

  it('a limiter of one copy limits through the Fastify plugin of the other', async () => {
    for (const [, from, to] of directions()) {
      const limiter = new from.core.RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
      expect(await fastifyStatuses(to, { limiter }, 3)).toEqual([200, 200, 429]);
    }
  });

  it('a limiter of one copy is the fallback (onStoreError) of a limiter of the other', async () => {
    for (const [, from, to] of directions()) {
      const fallback = new from.core.RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' });
      const limiter = new to.core.RateLimiter({ capacity: 100, refillRate: 1, store: new FailingStore('reject'), onStoreError: fallback });
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, degraded: true, limit: 1 });
      expect(await limiter.consume('k')).toMatchObject({ allowed: false, degraded: true });
      expect((await fallback.peek('k')).remaining).toBe(0);
    }
  });

  it("a store of one copy is recognised by the other's limiters: a namespace collision is still refused", () => {
    const [first, second] = collidingCapacities();
    for (const [, from, to] of directions()) {
      const store = new from.core.MemoryStore({ sweepInterval: false });
      expect(store).toBeInstanceOf(to.core.MemoryStore);
      const limiter = new to.core.RateLimiter({ capacity: first, refillRate: 1, interval: '1h', store, prefix: 'p:' });
      expect(() => new to.core.RateLimiter({ capacity: second, refillRate: 1, interval: '1h', store, prefix: 'p:' })).toThrow(
        to.core.SluiceConfigError,
      );
      expect(limiter.consumeSync('k').remaining).toBe(first - 1);
      expect(store.size).toBe(1);
      const redisStore = new from.core.RedisStore({
        client: { status: 'ready', evalsha: async () => [], eval: async () => [], del: async () => 0 },
      });
      expect(redisStore).toBeInstanceOf(to.core.RedisStore);
    }
  });

  it("errors of one copy are instances of the other's error classes, and of no other", () => {
    for (const [, from, to] of directions()) {
      const error = new from.core.SluiceConfigError('capacity', 0, 'must be positive');
      expect(error).toBeInstanceOf(to.core.SluiceConfigError);
      expect(error).toBeInstanceOf(to.core.SluiceError);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(to.core.SluiceArgumentError);
      expect(error).not.toBeInstanceOf(to.core.SluiceStoreError);
      const cost = new from.core.CostExceedsCapacityError(3, 2);
      expect(cost).toBeInstanceOf(to.core.SluiceArgumentError);
      expect(cost).not.toBeInstanceOf(to.core.StoreTimeoutError);
      expect(new from.core.StoreTimeoutError(5)).toBeInstanceOf(to.core.SluiceStoreError);
    }
  });

  it('a lookalike is still refused, with a short message', () => {
    const lookalike = { consume: () => undefined, store: new esm.core.MemoryStore(), tats: new Float64Array(100_000) };
    for (const copy of [esm, cjs]) {
      let message = '';
      try {
        copy.express.rateLimit({ limiter: lookalike as never });
      } catch (error) {
        expect(error).toBeInstanceOf(esm.core.SluiceConfigError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/must be a RateLimiter/);
      expect(message.length).toBeLessThan(250);
    }
  });
});

describe('instanceof with the brands', () => {
  it("a user's subclass keeps the ordinary instanceof", () => {
    class TenantLimiter extends RateLimiter {}
    class AppError extends SluiceError {}
    class TracedStore extends MemoryStore {}
    const plain = new RateLimiter({ capacity: 1, refillRate: 1 });
    const tenant = new TenantLimiter({ capacity: 1, refillRate: 1 });
    expect(tenant).toBeInstanceOf(RateLimiter);
    expect(tenant).toBeInstanceOf(TenantLimiter);
    expect(plain).not.toBeInstanceOf(TenantLimiter);
    expect(new AppError('x')).toBeInstanceOf(SluiceError);
    expect(new SluiceError('x')).not.toBeInstanceOf(AppError);
    expect(new TracedStore()).toBeInstanceOf(MemoryStore);
    expect(new MemoryStore()).not.toBeInstanceOf(TracedStore);
    for (const value of [null, undefined, 1, 'RateLimiter', {}, Object.create(null), () => 0, RateLimiter]) {
      expect(value instanceof RateLimiter).toBe(false);
      expect(value instanceof SluiceError).toBe(false);
    }
  });
});
