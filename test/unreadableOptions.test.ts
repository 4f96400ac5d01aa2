import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../adapters/express.js';
import sluice from '../adapters/fastify.js';
import { MemoryStore, RateLimiter, SluiceConfigError } from '../src/index.js';
import { RedisStore } from '../src/redis.js';

/**
 * Options objects whose very reading throws: a revoked Proxy, a Proxy whose `ownKeys` trap throws, an option behind a
 * getter that throws. Each is a SluiceConfigError naming the option (or `options` when the object itself cannot be
 * read) and the reason, never the TypeError or the getter's error as it was thrown.
 */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

const keysThrow = (target: object) =>
  new Proxy(target, {
    ownKeys() {
      throw new Error('ownKeys trap');
    },
  });

/** `target` with `name` behind a getter that throws. */
function getterThrows(target: object, name: string): object {
  return Object.defineProperty({ ...target }, name, {
    enumerable: true,
    get() {
      throw new RangeError('getter blew up');
    },
  });
}

const limits = { capacity: 5, refillRate: 1, interval: '1m' } as const;

interface Case {
  readonly name: string;
  readonly options: () => object;
  /** The path the error names, and the reason it gives. */
  readonly path: string;
  readonly reason: string;
}

/**
 * The three kinds, for an options object `base` at `where` (top level when empty); `option` is the one put behind
 * the throwing getter. `getterPath`: what the getter's error names (the object's own path when it is read as a
 * whole, spread or destructured, rather than option by option).
 */
function casesFor(base: object, option: string, where = '', getterPath = where ? `${where}.${option}` : option): Case[] {
  return [
    {
      name: 'a revoked Proxy',
      options: revoked,
      path: where || 'options',
      reason: "Cannot perform 'ownKeys' on a proxy that has been revoked",
    },
    { name: 'an ownKeys trap that throws', options: () => keysThrow(base), path: where || 'options', reason: 'ownKeys trap' },
    {
      name: `a getter of \`${option}\` that throws`,
      options: () => getterThrows(base, option),
      path: getterPath,
      reason: 'getter blew up',
    },
  ];
}

function expectUnreadable(run: () => unknown, { path, reason }: Case): void {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SluiceConfigError);
  expect((thrown as SluiceConfigError).option).toBe(path);
  // A revoked Proxy's first trap may be `get` or `ownKeys`, whichever the reader touches first.
  const message = (thrown as Error).message.replace("perform 'get'", "perform 'ownKeys'");
  expect(message).toContain(`sluice: option \`${path}\` cannot be read (${reason})`);
}

describe('options whose reading throws are a SluiceConfigError naming them', () => {
  it.each(casesFor(limits, 'interval'))('new RateLimiter(options): $name', (kind) => {
    expectUnreadable(() => new RateLimiter(kind.options() as never), kind);
  });

  it.each(casesFor(limits, 'refillRate', 'limits[1]'))('new RateLimiter({ limits: [ok, options] }): $name', (kind) => {
    expectUnreadable(() => new RateLimiter({ limits: [limits, kind.options()] } as never), kind);
  });

  it('a revoked Proxy or a store whose `update` getter throws, as `store`, is a SluiceConfigError naming `store`', () => {
    const cases: [object, string][] = [
      [revoked(), "cannot be read (Cannot perform 'get' on a proxy that has been revoked)"],
      [getterThrows({ reset: () => undefined }, 'update'), 'cannot be read (getter blew up)'],
    ];
    for (const [store, expected] of cases) {
      let thrown: unknown;
      try {
        new RateLimiter({ ...limits, store } as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SluiceConfigError);
      expect((thrown as SluiceConfigError).option).toBe('store');
      expect((thrown as Error).message).toContain(`sluice: option \`store\` ${expected}`);
    }
  });

  it('`limits` that cannot be read, or with holes, is a SluiceConfigError naming it or the missing entry', () => {
    const lengthThrows = new Proxy([limits], {
      get(target, name, receiver) {
        if (name === 'length') throw new Error('no length');
        return Reflect.get(target, name, receiver);
      },
    });
    expectUnreadable(() => new RateLimiter({ limits: lengthThrows } as never), {
      name: 'length',
      options: () => lengthThrows,
      path: 'limits',
      reason: 'no length',
    });
    // A hole is a missing limit, named by its index; nothing reads past it.
    // biome-ignore lint/suspicious/noSparseArray: the sparse array under test
    const sparse = [, limits];
    expect(() => new RateLimiter({ limits: sparse } as never)).toThrow(
      'sluice: option `limits[0]` must be an object { capacity, refillRate, interval }; got undefined',
    );
    const holeLast = [limits, limits];
    holeLast.length = 3;
    expect(() => new RateLimiter({ limits: holeLast } as never)).toThrow('sluice: option `limits[2]` must be an object');
    // A Proxy whose length changes between reads is read once.
    let reads = 0;
    const growing = new Proxy([limits], {
      get(target, name, receiver) {
        if (name === 'length') return ++reads === 1 ? 1 : 2;
        return Reflect.get(target, name, receiver);
      },
    });
    expect(new RateLimiter({ limits: growing } as never).limits).toHaveLength(1);
  });

  it.each(casesFor({ maxKeys: 10 }, 'maxKeys'))('new MemoryStore(options): $name', (kind) => {
    expectUnreadable(() => new MemoryStore(kind.options() as never), kind);
  });

  it.each(casesFor({}, 'client'))('new RedisStore(options): $name (nothing connects)', (kind) => {
    expectUnreadable(() => new RedisStore(kind.options() as never), kind);
  });

  it.each(casesFor({ maxKeys: 10 }, 'maxKeys', 'denyCache'))('new RedisStore({ denyCache: options }): $name', (kind) => {
    const client = new Redis({ lazyConnect: true });
    try {
      expectUnreadable(() => new RedisStore({ client, denyCache: kind.options() } as never), kind);
    } finally {
      client.disconnect();
    }
  });

  it.each([...casesFor(limits, 'capacity'), ...casesFor({ ...limits, statusCode: 503 }, 'statusCode')])(
    'Express rateLimit(options): $name',
    (kind) => {
      expect(() => express().use(rateLimit(kind.options() as never))).toThrow();
      expectUnreadable(() => rateLimit(kind.options() as never), kind);
    },
  );

  it.each(casesFor({ maxWaitMs: 1000 }, 'maxWaitMs', 'delay', 'delay'))('Express rateLimit({ delay: options }): $name', (kind) => {
    expectUnreadable(() => rateLimit({ ...limits, delay: kind.options() } as never), kind);
  });

  it.each([...casesFor(limits, 'refillRate'), ...casesFor({ ...limits, hook: 'onRequest' }, 'hook')])(
    'Fastify app.register(sluice, options): $name',
    async (kind) => {
      expectUnreadable(await fastifyError((app) => app.register(sluice, kind.options() as never)), kind);
    },
  );

  it.each(casesFor({ capacity: 2, refillRate: 1, interval: '1s' }, 'capacity', 'config.rateLimit'))(
    'a Fastify route config.rateLimit: $name',
    async (kind) => {
      const failed = await fastifyError(async (app) => {
        await app.register(sluice, limits);
        app.get('/', { config: { rateLimit: kind.options() as never } }, async () => 'ok');
      });
      expectUnreadable(failed, kind);
    },
  );
});

/** Builds a Fastify app with `build` and readies it; a function that throws what that threw (nothing: it returns). */
async function fastifyError(build: (app: FastifyInstance) => PromiseLike<unknown>): Promise<() => void> {
  const app = Fastify();
  let thrown: unknown;
  try {
    await build(app);
    await app.ready();
  } catch (error) {
    thrown = error;
  } finally {
    await app.close().catch(() => undefined);
  }
  return () => {
    if (thrown !== undefined) throw thrown;
  };
}
