/**
 * Fastify: how a route's `config.rateLimit` merges with the plugin's options, through real Fastify 4 and 5 apps.
 * Which plugin options a route inherits (an option the route leaves undefined included), a route's own limit,
 * `limits`, `plans` or ready `limiter` replacing the plugin's limiter or plans, the `groupId` rules and their
 * messages, and the automatic HEAD route of a GET sharing that GET's limiter only.
 */
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { configError } from './http/configError.js';
import { FASTIFY, registered, statuses } from './http/fastifyApps.js';
import { FailingStore } from './setup/failingStore.js';

const ok = async () => 'ok';
const wide = { capacity: 100, refillRate: 100, interval: '1h' } as const;
const two = { capacity: 2, refillRate: 2, interval: '1h' } as const;
const byHeader = (request: FastifyRequest) => String(request.headers['x-plan']);
const GROUP_RULE =
  'the routes of one group share their buckets, so they need the same limits, plans, blockDuration, clock, prefix and store';

describe.each(Object.entries(FASTIFY))('%s', (_name, factory) => {
  const app = (options: object) => registered(factory, options);

  it("a route's own limit under a plugin given a ready limiter: its own bucket on that limiter's store", async () => {
    const limiter = new RateLimiter({ ...wide, prefix: 'ready:' });
    const server = await app({ limiter });
    server.get('/own', { config: { rateLimit: two } }, ok);
    server.get('/plugin', ok);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'GET', '/plugin', 3)).toEqual([200, 200, 200]);
  });

  it('a route with `limits` alone (no capacity) gets those limits', async () => {
    const server = await app(wide);
    server.get('/bands', { config: { rateLimit: { limits: [{ ...two, name: 'hour' }] } } }, ok);
    expect(await statuses(server, 'GET', '/bands', 3)).toEqual([200, 200, 429]);
  });

  it("a route's own `plans` and `plan` replace the plugin's limiter", async () => {
    const server = await app(wide);
    const plans = { free: { capacity: 1, refillRate: 1, interval: '1h' }, paid: { capacity: 3, refillRate: 3, interval: '1h' } };
    server.get('/tiered', { config: { rateLimit: { plans, plan: byHeader } } }, ok);
    expect(await statuses(server, 'GET', '/tiered', 2, { 'x-plan': 'free' })).toEqual([200, 429]);
    expect(await statuses(server, 'GET', '/tiered', 4, { 'x-plan': 'paid' })).toEqual([200, 200, 200, 429]);
  });

  it("a route with a ready limiter under a plugin with plans uses that limiter, without the plugin's plan", async () => {
    const server = await app({ plans: { free: wide }, plan: () => 'free' });
    const limiter = new RateLimiter({ ...two, prefix: 'route:' });
    server.get('/ready', { config: { rateLimit: { limiter } } }, ok);
    server.get('/planned', ok);
    expect(await statuses(server, 'GET', '/ready', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'GET', '/planned', 3)).toEqual([200, 200, 200]);
  });

  it("a route with a limit of its own under a plugin with plans does not choose among the plugin's plans", async () => {
    const server = await app({ plans: { free: wide }, plan: () => 'nope' });
    server.get('/own', { config: { rateLimit: two } }, ok);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 429]);
  });

  it("an option the route leaves undefined is the plugin's", async () => {
    const server = await app({ ...wide, statusCode: 503, headers: false });
    server.get('/own', { config: { rateLimit: { ...two, statusCode: undefined, headers: undefined } } }, ok);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 503]);
    expect(Object.keys((await server.inject({ method: 'GET', url: '/own' })).headers).filter((name) => /ratelimit/i.test(name))).toEqual(
      [],
    );
  });

  it("one config object on GET /a and GET /b: each automatic HEAD shares its own GET's bucket, not the other's", async () => {
    const server = await app(wide);
    const config = { config: { rateLimit: two } };
    server.get('/a', config, ok);
    server.get('/b', config, ok);
    expect(await statuses(server, 'GET', '/a', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'HEAD', '/b', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'GET', '/b', 1)).toEqual([429]);
  });

  it("a declared route of HEAD and POST with the GET's config object keeps a bucket of its own", async () => {
    const server = await app(wide);
    const config = { rateLimit: two };
    server.route({ method: 'GET', url: '/item', exposeHeadRoute: false, config, handler: ok });
    server.route({ method: ['HEAD', 'POST'], url: '/item', config, handler: ok });
    expect(await statuses(server, 'GET', '/item', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'HEAD', '/item', 1)).toEqual([200]);
    expect(await statuses(server, 'POST', '/item', 2)).toEqual([200, 429]);
  });

  it("a route's limit of its own takes none of the plugin's limit options: what it lacks is named under the route", async () => {
    const server = await app({ ...wide, blockDuration: '1s', timeoutMs: 500 });
    const refused = (rateLimit: object) => configError(() => server.get('/x', { config: { rateLimit } }, ok));
    expect(refused({ refillRate: 5 }).message).toMatch(
      /^sluice: option `config\.rateLimit\.capacity` must be a positive, .*; got undefined$/,
    );
    expect(refused({ capacity: 5 }).message).toBe(
      'sluice: option `config.rateLimit.refillRate` must be a positive, finite number; got undefined',
    );
    expect(refused({ capacity: 5, refillRate: undefined, interval: '1s' }).option).toBe('config.rateLimit.refillRate');
    expect(refused({ limits: [{ capacity: 2, interval: '1s' }] }).option).toBe('config.rateLimit.limits[0].refillRate');
    // The plugin's other options (blockDuration, timeoutMs) are inherited and pass, as they did for the plugin.
    server.get('/ok', { config: { rateLimit: two } }, ok);
    expect(await statuses(server, 'GET', '/ok', 3)).toEqual([200, 200, 429]);
  });

  it("a plan's option error inside a route is named by its whole path, even when the plan's name has a comma", async () => {
    const server = await app(wide);
    const plans = { 'a, b': { capacity: 'ten', refillRate: 1 } };
    const error = configError(() => server.get('/x', { config: { rateLimit: { plans, plan: () => 'a, b' } } }, ok));
    expect(error.option).toBe('config.rateLimit.plans.a, b.capacity');
    expect(error.message).toMatch(/^sluice: option `config\.rateLimit\.plans\.a, b\.capacity` must be a positive, .*; got "ten"$/);
  });

  it("an error about an option the route inherits keeps the plugin's name for it; the route's own is under the route", async () => {
    const server = await app({ ...wide, cost: 3 });
    const refused = (rateLimit: object) => configError(() => server.get('/x', { config: { rateLimit } }, ok));
    // The plugin's cost of 3 is more than the route's capacity: the fault is in `cost`, which the route did not set.
    expect(refused({ capacity: 2, refillRate: 1 }).option).toBe('cost');
    expect(refused({ capacity: 2, refillRate: 1 }).message).toMatch(/^sluice: option `cost` /);
    expect(refused({ capacity: 2, refillRate: 1, cost: undefined }).option).toBe('cost'); // undefined: the plugin's
    expect(refused({ capacity: 2, refillRate: 1, cost: 4 }).option).toBe('config.rateLimit.cost');
  });

  it("a group without limits of its own under a plugin with plans is refused (it cannot follow each request's plan)", async () => {
    const plans = { free: { capacity: 1, refillRate: 1 }, pro: { capacity: 5, refillRate: 1 } };
    const server = await app({ plans, plan: () => 'pro' });
    expect(configError(() => server.get('/g', { config: { rateLimit: { groupId: 'g' } } }, ok)).message).toBe(
      'sluice: option `config.rateLimit.groupId` needs limits (or plans) of its own under a plugin with `plans`: a group\'s routes share one bucket per key, with one limit; got "g"',
    );
    server.get('/own', { config: { rateLimit: { groupId: 'h', ...two } } }, ok);
    server.get('/plain', ok);
    expect(await statuses(server, 'GET', '/own', 3)).toEqual([200, 200, 429]);
    expect(await statuses(server, 'GET', '/plain', 6)).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('`groupId` with a ready limiter is refused with its reason', () => {
    return app(wide).then((server) => {
      const limiter = new RateLimiter(two);
      expect(configError(() => server.get('/x', { config: { rateLimit: { limiter, groupId: 'x' } as never } }, ok)).message).toBe(
        'sluice: option `config.rateLimit.groupId` cannot be combined with `limiter`: routes given one limiter share its buckets already; got "x"',
      );
    });
  });

  it('a group names both routes (every method of each) when their limits differ, and refuses another store', async () => {
    const server = await app(wide);
    server.route({ method: ['GET', 'POST'], url: '/login', config: { rateLimit: { ...two, groupId: 'login' } }, handler: ok });
    expect(configError(() => server.post('/otp', { config: { rateLimit: { ...two, capacity: 3, groupId: 'login' } } }, ok)).message).toBe(
      'sluice: option `config.rateLimit.groupId` is used by GET,POST /login and by POST /otp with other limits: ' +
        `${GROUP_RULE}; got "login"`,
    );
    expect(
      configError(() => server.post('/other', { config: { rateLimit: { ...two, groupId: 'login', store: new MemoryStore() } } }, ok))
        .message,
    ).toBe(
      `sluice: option \`config.rateLimit.groupId\` is used by GET,POST /login and by POST /other with another store: ${GROUP_RULE}; got "login"`,
    );
    server.post('/same', { config: { rateLimit: { ...two, groupId: 'login' } } }, ok);
    expect(await statuses(server, 'POST', '/login', 1)).toEqual([200]);
    expect(await statuses(server, 'POST', '/same', 2)).toEqual([200, 429]);
  });

  it('a group whose routes choose among other plans, or plans with other limits, is refused; the same plans share each bucket', async () => {
    const server = await app(wide);
    const plans = { free: two, pro: wide };
    server.get('/a', { config: { rateLimit: { groupId: 'g', plans, plan: byHeader } } }, ok);
    const others: [string, object, string][] = [
      [
        'a plan with another limit',
        { plans: { free: two, pro: { ...wide, capacity: 50 } }, plan: byHeader },
        'other limits for plan "pro"',
      ],
      [
        'a plan with a block',
        { plans: { free: { ...two, blockDuration: '1h' }, pro: wide }, plan: byHeader },
        'another blockDuration for plan "free"',
      ],
      ['one plan fewer', { plans: { free: two }, plan: byHeader }, 'other plans'],
      ['one plan more', { plans: { ...plans, team: wide }, plan: byHeader }, 'other plans'],
      ['another plan name', { plans: { free: two, paid: wide }, plan: byHeader }, 'other plans'],
      ['one limit instead of plans', two, 'other plans'],
    ];
    for (const [what, rateLimit, difference] of others) {
      const refused = configError(() => server.get(`/${what}`, { config: { rateLimit: { groupId: 'g', ...rateLimit } } }, ok));
      expect([what, refused.message]).toEqual([
        what,
        `sluice: option \`config.rateLimit.groupId\` is used by GET /a and by GET /${what} with ${difference}: ${GROUP_RULE}; got "g"`,
      ]);
    }
    // The same plans in another order count in the same buckets, each plan in its own.
    server.get('/b', { config: { rateLimit: { groupId: 'g', plans: { pro: wide, free: two }, plan: byHeader } } }, ok);
    expect(await statuses(server, 'GET', '/a', 1, { 'x-plan': 'free' })).toEqual([200]);
    expect(await statuses(server, 'GET', '/b', 2, { 'x-plan': 'free' })).toEqual([200, 429]);
    expect(await statuses(server, 'GET', '/b', 1, { 'x-plan': 'pro' })).toEqual([200]);
  });

  it("a group of one limit refuses a route with plans whose only plan has that limit (each plan's buckets are its own)", async () => {
    const server = await app(wide);
    server.get('/a', { config: { rateLimit: { groupId: 'g', ...two } } }, ok);
    expect(
      configError(() => server.get('/b', { config: { rateLimit: { groupId: 'g', plans: { '': two }, plan: () => '' } } }, ok)).option,
    ).toBe('config.rateLimit.groupId');
  });

  it.each([
    ['a limit of its own', { ...two }],
    ['a groupId', { groupId: 'g' }],
    ['blockDuration alone', { blockDuration: '2h' as const }],
  ])(
    "a route with %s under a plugin given a ready limiter takes that limiter's store failure policy, as under inline options",
    async (_what, rateLimit) => {
      for (const onStoreError of ['deny', 'allow'] as const) {
        const degraded: string[] = [];
        const limiter = new RateLimiter({
          ...two,
          store: new FailingStore('reject'),
          onStoreError,
          onDegraded: (event) => degraded.push(event.policy),
        });
        const server = await app({ limiter });
        server.get('/route', { config: { rateLimit } }, ok);
        expect([onStoreError, await statuses(server, 'GET', '/route', 1)]).toEqual([onStoreError, [onStoreError === 'deny' ? 429 : 200]]);
        expect(degraded).toEqual([onStoreError]);
      }
    },
  );

  it.each([
    ['a limit of its own', two],
    ['a groupId', { groupId: 'g' }],
  ])("a route with %s under a plugin given a ready limiter takes that limiter's blockDuration", async (_what, rateLimit) => {
    const limiter = new RateLimiter({ ...two, blockDuration: '2h' });
    const server = await app({ limiter });
    server.get('/route', { config: { rateLimit } }, ok);
    expect(await statuses(server, 'GET', '/route', 2)).toEqual([200, 200]);
    const refused = await server.inject({ method: 'GET', url: '/route' });
    expect([refused.statusCode, refused.headers['retry-after']]).toEqual([429, '7200']);
  });

  it("a route that sets only a limiter option (blockDuration, timeoutMs, onStoreError) gets a limiter of its own with the plugin's limit", async () => {
    for (const inline of [true, false]) {
      const server = await app(inline ? two : { limiter: new RateLimiter(two) });
      server.get('/blocking', { config: { rateLimit: { blockDuration: '2h' } } }, ok);
      server.get('/patient', { config: { rateLimit: { timeoutMs: 500, onStoreError: 'deny' } } }, ok);
      server.get('/plain', ok);
      expect([inline, await statuses(server, 'GET', '/blocking', 3)]).toEqual([inline, [200, 200, 429]]);
      // Its own bucket, with its own block: the plugin's routes are not counted there.
      expect((await server.inject({ method: 'GET', url: '/blocking' })).headers['retry-after']).toBe('7200');
      expect(await statuses(server, 'GET', '/patient', 3)).toEqual([200, 200, 429]);
      expect(await statuses(server, 'GET', '/plain', 3)).toEqual([200, 200, 429]);
    }
  });

  it('a route that sets only a limiter option under a plugin with plans is refused: the plugin has no one limit to give it', async () => {
    const server = await app({ plans: { free: two, pro: wide }, plan: byHeader });
    expect(configError(() => server.get('/x', { config: { rateLimit: { blockDuration: '2h' } } }, ok)).message).toBe(
      'sluice: option `config.rateLimit.blockDuration` needs limits (or plans) of its own under a plugin with `plans`: ' +
        'this option makes a limiter of the route’s, with one limit; got "2h"',
    );
  });

  it('`fastify.rateLimit(options)` names its options `rateLimit(options)` in errors, as the user wrote them', async () => {
    const server = await app(wide);
    expect(configError(() => server.rateLimit({ capacity: -1, refillRate: 1, interval: '1s' })).option).toBe('rateLimit(options).capacity');
    expect(configError(() => server.rateLimit({ hook: 'onSend' as never })).option).toBe('rateLimit(options).hook');
    expect(configError(() => server.rateLimit({ groupId: '' })).option).toBe('rateLimit(options).groupId');
    expect(configError(() => server.rateLimit({ limiter: new RateLimiter(two), groupId: 'g' } as never)).option).toBe(
      'rateLimit(options).groupId',
    );
  });

  it('a group whose routes block for other durations or read other clocks is refused: a block and a TAT belong to the bucket', async () => {
    const server = await app(wide);
    server.get('/a', { config: { rateLimit: { groupId: 'g', ...two } } }, ok);
    const clock = () => Date.now();
    for (const [what, extra, difference] of [
      ['a block', { blockDuration: '1h' }, 'another blockDuration'],
      ['a clock', { clock }, 'another clock'],
      ['a prefix', { prefix: 'other:' }, 'another prefix'],
    ] as const) {
      const refused = configError(() => server.get(`/${what}`, { config: { rateLimit: { groupId: 'g', ...two, ...extra } } }, ok));
      expect([what, refused.message]).toEqual([
        what,
        `sluice: option \`config.rateLimit.groupId\` is used by GET /a and by GET /${what} with ${difference}: ${GROUP_RULE}; got "g"`,
      ]);
    }
    // Another store failure policy is the route's own business: the buckets are the same.
    server.get('/strict', { config: { rateLimit: { groupId: 'g', ...two, onStoreError: 'deny', timeoutMs: 50 } } }, ok);
    expect(await statuses(server, 'GET', '/a', 1)).toEqual([200]);
    expect(await statuses(server, 'GET', '/strict', 2)).toEqual([200, 429]);
  });

  it('a group conflict between hooks of `fastify.rateLimit(options)` names them as hooks', async () => {
    const server = await app(wide);
    server.rateLimit({ groupId: 'g', ...two });
    expect(configError(() => server.rateLimit({ groupId: 'g', ...wide })).message).toBe(
      `sluice: option \`rateLimit(options).groupId\` is used by a rateLimit(options) hook and by another with other limits: ${GROUP_RULE}; got "g"`,
    );
    expect(configError(() => server.get('/x', { config: { rateLimit: { groupId: 'g', ...wide } } }, ok)).message).toContain(
      'is used by a rateLimit(options) hook and by GET /x with other limits:',
    );
  });

  it('`plans` without `plan` (or the reverse) in a route is named under the route', async () => {
    const server = await app(wide);
    expect(configError(() => server.get('/a', { config: { rateLimit: { plans: { free: two } } as never } }, ok)).option).toBe(
      'config.rateLimit.plan',
    );
    expect(configError(() => server.get('/b', { config: { rateLimit: { plan: byHeader } as never } }, ok)).option).toBe(
      'config.rateLimit.plans',
    );
    expect(configError(() => server.rateLimit({ plans: { free: two } } as never)).option).toBe('rateLimit(options).plan');
  });

  it('a ready limiter whose `sharedOptions` cannot be read is named `limiter` when a route needs them, never a raw error', async () => {
    const limiter = new RateLimiter(two);
    const trapped = new Proxy(limiter, {
      get: (target, name) => {
        if (name === 'sharedOptions') throw new Error('trap');
        const value = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const server = await app({ limiter: trapped });
    for (const rateLimit of [two, { groupId: 'g' }, { blockDuration: '1h' as const }]) {
      const error = configError(() => server.get(`/${Object.keys(rateLimit)[0]}`, { config: { rateLimit } }, ok));
      expect([error.option, error.message]).toEqual([
        'limiter',
        expect.stringMatching(/^sluice: option `limiter` cannot be read \(trap\); got RateLimiter /),
      ]);
    }
  });

  it('a ready limiter without `sharedOptions` (of another sluice version) is refused for a route that needs them', async () => {
    const limiter = new RateLimiter(two);
    const older = new Proxy(limiter, {
      get: (target, name) => (name === 'sharedOptions' ? undefined : Reflect.get(target, name, target)),
    });
    const server = await app({ limiter: older });
    server.get('/plain', ok);
    expect(configError(() => server.get('/own', { config: { rateLimit: two } }, ok)).message).toMatch(
      /^sluice: option `limiter` must have `sharedOptions` \(a RateLimiter of this sluice version\): a route with limits of its own takes its store and failure policy from them; got /,
    );
  });

  it('`global` in a route is named as the plugin option it is', async () => {
    const server = await app(wide);
    expect(configError(() => server.get('/x', { config: { rateLimit: { global: false } as never } }, ok)).message).toMatch(
      /^sluice: option `config\.rateLimit\.global` is not a known option \(another library's option: @fastify\/rate-limit's `global` is an option of sluice's Fastify plugin only, not of a route;/,
    );
  });

  it('a route turns off a block it would inherit with `blockDuration: 0` (none, as in rate-limiter-flexible)', async () => {
    for (const plugin of [{ ...two, blockDuration: '2h' as const }, { limiter: new RateLimiter({ ...two, blockDuration: '2h' }) }]) {
      const server = await app(plugin);
      server.get('/blocks', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1h' } } }, ok);
      server.get('/free', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1h', blockDuration: 0 } } }, ok);
      expect((await statuses(server, 'GET', '/blocks', 1)).concat(await statuses(server, 'GET', '/free', 1))).toEqual([200, 200]);
      const [blocked, refused] = [await server.inject('/blocks'), await server.inject('/free')];
      expect([blocked.statusCode, blocked.headers['retry-after'], refused.statusCode, refused.headers['retry-after']]).toEqual([
        429,
        '7200',
        429,
        '3600',
      ]);
    }
  });
});
