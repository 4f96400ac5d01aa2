/**
 * HTTP options whose reading throws somewhere inside (a getter of `blocked.statusCode`, a Proxy as `allowList`, a
 * getter of `plan`, of a plan or of a plan's option): a SluiceConfigError naming that option, through a real Express
 * app, a real Fastify app (the plugin's options, a route's `config.rateLimit`, `fastify.rateLimit(options)`). Only an
 * options object whose keys cannot be listed is named as a whole. An error that is not about reading an option (a
 * store's own error when the limiter claims its namespace) goes on as it was thrown.
 */
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import sluice from '../../adapters/fastify.js';
import { HTTP_OPTION_NAMES } from '../../src/http/httpLimitOptions.js';
import { MemoryStore, RateLimiter, SluiceConfigError } from '../../src/index.js';

const limits = { capacity: 5, refillRate: 1, interval: '1m' } as const;

function blowUp(): never {
  throw new RangeError('getter blew up');
}

function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** `target` with `name` behind a getter that throws. */
function getterThrows(target: object, name: string): object {
  return Object.defineProperty({ ...target }, name, { enumerable: true, get: blowUp });
}

/** Where the options go. */
interface Target {
  readonly name: string;
  /** What the paths of errors about the options begin with (`config.rateLimit.` for a route's). */
  readonly prefix: string;
  /** The object as a whole, in errors. */
  readonly whole: string;
  /** Builds an app with `options` (and closes it); throws what building it threw. */
  run(options: object): Promise<void>;
}

/** What building an app with `options` on `target` threw; fails the test when it threw nothing. */
async function thrownBy(target: Target, options: object): Promise<unknown> {
  try {
    await target.run(options);
  } catch (error) {
    return error;
  }
  throw new Error('expected the app to be refused, nothing was thrown');
}

/** Builds a Fastify app with `build`, then closes it; throws what building it threw. */
async function onFastify(build: (app: FastifyInstance) => Promise<void>): Promise<void> {
  const app = Fastify();
  try {
    await build(app);
  } finally {
    await app.close();
  }
}

const targets: Target[] = [
  {
    name: 'Express rateLimit(options)',
    prefix: '',
    whole: 'options',
    run: async (options) => {
      express().use(rateLimit(options as never));
    },
  },
  {
    name: 'Fastify app.register(sluice, options)',
    prefix: '',
    whole: 'options',
    run: (options) =>
      onFastify(async (app) => {
        await app.register(sluice, options as never);
        await app.ready();
      }),
  },
  {
    name: 'a Fastify route { config: { rateLimit: options } }',
    prefix: 'config.rateLimit.',
    whole: 'config.rateLimit',
    run: (options) =>
      onFastify(async (app) => {
        await app.register(sluice, limits);
        app.get('/', { config: { rateLimit: options as never } }, async () => 'ok');
        await app.ready();
      }),
  },
  {
    name: 'Fastify app.rateLimit(options)',
    prefix: 'rateLimit(options).',
    whole: 'rateLimit(options)',
    run: (options) =>
      onFastify(async (app) => {
        await app.register(sluice, limits);
        await app.ready();
        app.rateLimit(options as never);
      }),
  },
];

interface Case {
  readonly name: string;
  readonly options: () => object;
  /** The path the error names, under the target's prefix; undefined: the object as a whole. */
  readonly path: string | undefined;
  readonly reason: string;
  /** How the message describes the value being read (after "; got "). */
  readonly got: string;
}

/** A RateLimiter whose limits cannot be read. */
class LimitsThrow extends RateLimiter {
  override get limits(): never {
    return blowUp();
  }
}

const plans = (free: unknown) => ({ plans: { free }, plan: () => 'free' });

const cases: Case[] = [
  {
    name: 'an `allowList` Proxy whose `get` trap throws',
    options: () => ({ ...limits, allowList: new Proxy([], { get: blowUp }) }),
    path: 'allowList',
    reason: 'getter blew up',
    got: 'a value that cannot be inspected',
  },
  {
    name: 'a `blocked` whose `statusCode` getter throws',
    options: () => ({ ...limits, blocked: Object.defineProperty({}, 'statusCode', { enumerable: true, get: blowUp }) }),
    path: 'blocked',
    reason: 'getter blew up',
    got: '{ statusCode: [getter] }',
  },
  {
    name: 'a revoked Proxy as `blocked`',
    options: () => ({ ...limits, blocked: revoked() }),
    path: 'blocked',
    reason: "Cannot perform 'get' on a proxy that has been revoked",
    got: 'a value that cannot be inspected',
  },
  {
    name: 'a `delay` whose `maxHeld` getter throws',
    options: () => ({ ...limits, delay: Object.defineProperty({ maxWaitMs: 10 }, 'maxHeld', { enumerable: true, get: blowUp }) }),
    path: 'delay',
    reason: 'getter blew up',
    got: '{ maxWaitMs: 10, maxHeld: [getter] }',
  },
  {
    name: 'a `plan` getter that throws',
    options: () => getterThrows({ plans: { free: limits } }, 'plan'),
    path: 'plan',
    reason: 'getter blew up',
    got: '{ plans: {…}, plan: [getter] }',
  },
  {
    name: 'a `plans` whose getter of a plan throws',
    options: () => ({ plans: getterThrows({}, 'free'), plan: () => 'free' }),
    path: 'plans.free',
    reason: 'getter blew up',
    got: '{ free: [getter] }',
  },
  {
    name: 'a revoked Proxy as `plans`',
    options: () => ({ plans: revoked(), plan: () => 'free' }),
    path: 'plans',
    reason: "Cannot perform 'IsArray' on a proxy that has been revoked",
    got: 'a value that cannot be inspected',
  },
  {
    name: "a plan's options with a getter that throws",
    options: () => plans(getterThrows(limits, 'refillRate')),
    path: 'plans.free.refillRate',
    reason: 'getter blew up',
    got: '{ capacity: 5, refillRate: [getter], interval: "1m" }',
  },
  {
    name: "a revoked Proxy as a plan's options",
    options: () => plans(revoked()),
    path: 'plans.free',
    reason: "Cannot perform 'get' on a proxy that has been revoked",
    got: 'a value that cannot be inspected',
  },
  ...[...HTTP_OPTION_NAMES, 'store', 'limits'].map(
    (name): Case => ({
      name: `a getter of \`${name}\` that throws`,
      options: () => getterThrows(name === 'limits' ? {} : limits, name),
      path: name,
      reason: 'getter blew up',
      got: `{ ${name === 'limits' ? '' : 'capacity: 5, refillRate: 1, interval: "1m", '}${name}: [getter] }`,
    }),
  ),
  {
    name: 'a `limiter` Proxy whose `get` trap throws',
    options: () => ({ limiter: new Proxy(new RateLimiter(limits), { get: blowUp }) }),
    path: 'limiter',
    reason: 'getter blew up',
    got: 'RateLimiter {',
  },
  {
    name: 'a `limiter` whose `limits` getter throws',
    options: () => ({ limiter: new LimitsThrow(limits) }),
    path: 'limiter',
    reason: 'getter blew up',
    got: 'LimitsThrow {',
  },
  {
    name: 'a plan limiter whose `limits` getter throws',
    options: () => plans(new LimitsThrow(limits)),
    path: 'plans.free',
    reason: 'getter blew up',
    got: 'LimitsThrow {',
  },
  {
    name: 'options whose keys cannot be listed',
    options: revoked,
    path: undefined,
    reason: "Cannot perform 'ownKeys' on a proxy that has been revoked",
    got: 'a value that cannot be inspected',
  },
  {
    name: 'options whose ownKeys trap throws',
    options: () => new Proxy({ ...limits }, { ownKeys: blowUp }),
    path: undefined,
    reason: 'getter blew up',
    got: 'a value that cannot be inspected',
  },
];

describe('an option whose reading throws is named by its own path', () => {
  describe.each(targets)('$name', (target) => {
    it.each(cases)('$name', async ({ options, path, reason, got }) => {
      const error = await thrownBy(target, options());
      const option = path === undefined ? target.whole : `${target.prefix}${path}`;
      expect(error).toBeInstanceOf(SluiceConfigError);
      expect((error as SluiceConfigError).option).toBe(option);
      expect((error as Error).message).toMatch(
        new RegExp(`^${escaped(`sluice: option \`${option}\` cannot be read (${reason}); got ${got}`)}`),
      );
    });

    it("a store's own error when the limiter claims its namespace goes on as it was thrown", async () => {
      const claimError = new TypeError('boom from claim');
      class ClaimFails extends MemoryStore {
        override claim(): never {
          throw claimError;
        }
      }
      // As a RateLimiter built directly throws it.
      expect(() => new RateLimiter({ ...limits, store: new ClaimFails() })).toThrow(claimError);
      expect(await thrownBy(target, { ...limits, store: new ClaimFails() })).toBe(claimError);
      expect(await thrownBy(target, plans({ ...limits, store: new ClaimFails() }))).toBe(claimError);
    });

    it('reads each option once, and takes options inherited from a prototype as given', async () => {
      const reads: Record<string, number> = {};
      /** Options of a class: its getters live on the prototype, each counting its reads. */
      const counted = (values: Record<string, unknown>) => {
        const prototype = {};
        for (const [name, value] of Object.entries(values)) {
          Object.defineProperty(prototype, name, {
            get() {
              reads[name] = (reads[name] ?? 0) + 1;
              return value;
            },
          });
        }
        return Object.create(prototype) as object;
      };
      await target.run(counted({ plans: { free: limits, paid: limits }, plan: () => 'free', cost: 2, headers: 'draft-8' }));
      expect(reads).toEqual({ plans: 1, plan: 1, cost: 1, headers: 1 });
      const error = await thrownBy(target, counted({ ...limits, statusCode: 200 }));
      expect((error as Error).message).toBe(
        `sluice: option \`${target.prefix}statusCode\` must be an HTTP error status from 400 to 599; got 200`,
      );
    });

    it('an own option set to undefined is still a key: an unknown name is refused', async () => {
      const error = await thrownBy(target, { ...limits, windowMs: undefined });
      expect((error as SluiceConfigError).option).toBe(`${target.prefix}windowMs`);
      expect((error as Error).message).toMatch(/is not a known option \(another library's option: /);
    });
  });

  it('a route option named under the route, when its value is unusable too', async () => {
    const route = targets[2] as Target;
    const error = await thrownBy(route, { ...limits, blocked: { statusCode: 200 } });
    expect((error as Error).message).toBe(
      'sluice: option `config.rateLimit.blocked.statusCode` must be an HTTP error status from 400 to 599; got 200',
    );
    // The plugin's own options keep their top-level names.
    const plugin = targets[1] as Target;
    expect(((await thrownBy(plugin, { ...limits, blocked: { statusCode: 200 } })) as Error).message).toBe(
      'sluice: option `blocked.statusCode` must be an HTTP error status from 400 to 599; got 200',
    );
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
