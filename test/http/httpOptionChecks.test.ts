/**
 * The HTTP options' checks, each with several bad values of different types and the whole message (option path,
 * expectation, value); `plans` and `plan` with every error path and what each plan's limiter gets; a static
 * `cost` against every limiter it will be taken from; the once-per-process warnings' text. Every call of the code
 * under test is inside a test body.
 */
import { describe, expect, it } from 'vitest';
import { HTTP_OPTION_NAMES, resolveHttpOptions } from '../../src/http/httpLimitOptions.js';
import { WARNINGS, warnOnce } from '../../src/http/warnings.js';
import { MemoryStore, RateLimiter, SluiceError } from '../../src/index.js';
import { RATE_LIMITER_OPTION_NAMES } from '../../src/limiter/limiterOptions.js';
import { takeWarnings } from '../setup/warningGuard.js';
import { configError } from './configError.js';

const limit = { capacity: 5, refillRate: 1 };
const plan = () => 'free';

function rejected(options: Record<string, unknown>): string {
  return configError(() => resolveHttpOptions(options)).message;
}

describe('HTTP option checks: every bad value named with its option and the expectation', () => {
  it('`message`: null, a number, a boolean, a symbol are refused; a string, an object, an array, a function pass', () => {
    const expected = 'must be a string, an object (sent as JSON) or a function (req, decision) => body';
    expect(rejected({ ...limit, message: null })).toBe(`sluice: option \`message\` ${expected}; got null`);
    expect(rejected({ ...limit, message: 42 })).toBe(`sluice: option \`message\` ${expected}; got 42`);
    expect(rejected({ ...limit, message: false })).toBe(`sluice: option \`message\` ${expected}; got false`);
    expect(rejected({ ...limit, message: Symbol('body') })).toMatch(/^sluice: option `message` must be a string, .*; got Symbol\(body\)$/);
    for (const message of ['Too many', { error: 'slow down' }, ['a'], () => 'x']) {
      expect(resolveHttpOptions({ ...limit, message }).message).toBe(message);
    }
  });

  it('`blocked`: not an object, an unknown key, a bad status or body, each under its own path', () => {
    const shape = 'must be an object { statusCode, message }';
    expect(rejected({ ...limit, blocked: null })).toBe(`sluice: option \`blocked\` ${shape}; got null`);
    expect(rejected({ ...limit, blocked: 403 })).toBe(`sluice: option \`blocked\` ${shape}; got 403`);
    expect(rejected({ ...limit, blocked: 'forbidden' })).toBe(`sluice: option \`blocked\` ${shape}; got "forbidden"`);
    expect(rejected({ ...limit, blocked: { status: 403 } })).toBe(
      'sluice: option `blocked.status` is not an option of `blocked` (statusCode, message); got 403',
    );
    expect(rejected({ ...limit, blocked: { statusCode: 200 } })).toBe(
      'sluice: option `blocked.statusCode` must be an HTTP error status from 400 to 599; got 200',
    );
    expect(rejected({ ...limit, blocked: { message: null } })).toBe(
      'sluice: option `blocked.message` must be a string, an object (sent as JSON) or a function (req, decision) => body; got null',
    );
    expect(resolveHttpOptions({ ...limit, blocked: {} }).blocked).toEqual({ statusCode: 403, message: undefined });
    expect(resolveHttpOptions({ ...limit, blocked: { statusCode: 451, message: 'no' } }).blocked).toEqual({
      statusCode: 451,
      message: 'no',
    });
  });

  it('`cost`: null, an array, a string, a boolean, a negative, NaN and Infinity are refused; 0, an object, a function pass', () => {
    const expected = 'must be a finite number ≥ 0 or a function (req) => cost, or an object of numbers by band name';
    for (const [cost, shown] of [
      [null, 'null'],
      [[1], 'Array(1) [1]'],
      ['1', '"1"'],
      [true, 'true'],
      [-1, '-1'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ] as const) {
      expect(rejected({ ...limit, cost })).toBe(`sluice: option \`cost\` ${expected}; got ${shown}`);
    }
    expect(resolveHttpOptions({ ...limit, cost: 0 }).cost).toBe(0);
    expect(resolveHttpOptions({ ...limit, cost: 5 }).cost).toBe(5);
    const byBand = { main: 2 };
    expect(resolveHttpOptions({ limits: [{ ...limit, interval: '1s', name: 'main' }], cost: byBand }).cost).toBe(byBand);
    const fn = () => 3;
    expect(resolveHttpOptions({ ...limit, cost: fn }).cost).toBe(fn);
    expect(resolveHttpOptions(limit).cost).toBe(1);
  });

  it('`ipv6Subnet`: 0, 129, a fraction, a string, null, true are refused; 1, 128 and false pass', () => {
    const expected = 'must be a prefix length from 1 to 128, or false';
    for (const [ipv6Subnet, shown] of [
      [0, '0'],
      [129, '129'],
      [56.5, '56.5'],
      ['56', '"56"'],
      [null, 'null'],
      [true, 'true'],
    ] as const) {
      expect(rejected({ ...limit, ipv6Subnet })).toBe(`sluice: option \`ipv6Subnet\` ${expected}; got ${shown}`);
    }
    for (const ipv6Subnet of [1, 64, 128, false]) expect(resolveHttpOptions({ ...limit, ipv6Subnet }).ipv6Subnet).toBe(ipv6Subnet);
  });

  it('an unknown option is named with the list of the known ones: the HTTP and limiter options, and no others', () => {
    const known = [...HTTP_OPTION_NAMES, ...RATE_LIMITER_OPTION_NAMES].join(', ');
    expect(rejected({ ...limit, hook: 'preHandler' })).toBe(
      `sluice: option \`hook\` is not a known option; known options: ${known}; got "preHandler"`,
    );
    expect(configError(() => resolveHttpOptions({ ...limit, hok: 1 }, ['hook'])).message).toBe(
      `sluice: option \`hok\` is not a known option (did you mean \`hook\`?); known options: ${known}, hook; got 1`,
    );
  });

  it('a numeric cost above the smallest capacity of any band of any plan is refused', () => {
    const tooMuch = 'sluice: option `cost` must be at most the capacity, or no request could ever pass; got 4';
    const twoBands = {
      limits: [
        { capacity: 10, refillRate: 10, interval: '1s', name: 'second' },
        { capacity: 3, refillRate: 3, interval: '1m', name: 'minute' },
      ],
    };
    expect(rejected({ ...twoBands, cost: 4 })).toBe(tooMuch);
    expect(resolveHttpOptions({ ...twoBands, cost: 3 }).cost).toBe(3);
    const plans = { big: { capacity: 10, refillRate: 1 }, small: { capacity: 3, refillRate: 1 } };
    expect(rejected({ plans, plan, cost: 4 })).toBe(tooMuch);
    expect(rejected({ plans: { small: plans.small, big: plans.big }, plan, cost: 4 })).toBe(tooMuch);
    expect(rejected({ plans: { big: plans.big, multi: twoBands }, plan, cost: 4 })).toBe(tooMuch);
    expect(resolveHttpOptions({ plans, plan, cost: 3 }).cost).toBe(3);
  });
});

describe('a static cost is checked against each limiter it will be taken from', () => {
  it('names the limiter, or the plan (as JSON, cut to 64 characters), and the reason without a second "sluice:" or "got" of the whole cost', () => {
    const fraction = rejected({ ...limit, cost: 0.5 });
    expect(fraction).toBe(
      'sluice: option `cost` cannot be taken from the limiter (argument `cost` must be a whole number of tokens ≥ 0); got 0.5',
    );
    expect(fraction.match(/sluice: /g)).toHaveLength(1);
    const twoBands = {
      limits: [
        { capacity: 10, refillRate: 10, interval: '1s', name: 'second' },
        { capacity: 3, refillRate: 3, interval: '1m', name: 'minute' },
      ],
    };
    const name = `plan-${'x'.repeat(100)}`;
    const missing = rejected({ plans: { [name]: twoBands }, plan, cost: { second: 1 } });
    const where = `plan ${JSON.stringify(name).slice(0, 64)}`;
    expect(where).toHaveLength(69);
    const reason = 'argument `cost` misses band minute; a per-band cost names every band: second, minute';
    expect(missing).toBe(`sluice: option \`cost\` cannot be taken from ${where} (${reason}); got { second: 1 }`);
    expect(missing.match(/sluice: /g)).toHaveLength(1);
    expect(rejected({ plans: { short: twoBands }, plan, cost: { second: 1 } })).toMatch(
      /^sluice: option `cost` cannot be taken from plan "short" \(argument `cost` misses band minute;/,
    );
    // Only sluice's own prefix is dropped: a SluiceError of the user's (from a getter of the cost) is quoted whole.
    const own = {
      get requests(): number {
        throw new SluiceError('mine, not sluice: its');
      },
    };
    expect(rejected({ limits: [{ ...limit, name: 'requests' }], cost: own })).toBe(
      'sluice: option `cost` cannot be taken from the limiter (mine, not sluice: its); got { requests: [getter] }',
    );
    // A band's part keeps its own value: the whole cost is given once, at the end.
    expect(rejected({ ...twoBands, cost: { second: 1, minute: 5 } })).toBe(
      'sluice: option `cost` cannot be taken from the limiter (argument `cost.minute` must be at most the capacity (3), or the call could never succeed; got 5); got { second: 1, minute: 5 }',
    );
  });
});

describe('`plans` and `plan`', () => {
  it('`plans` that is not an object of plans: null, an array, a string, a number, a RateLimiter, or empty', () => {
    const expected = 'must be an object of named plans, e.g. { free: { capacity: 10, ... }, paid: limiter }';
    for (const [plans, shown] of [
      [null, 'null'],
      [[limit], /^Array\(1\) \[/],
      ['free', '"free"'],
      [5, '5'],
      [new RateLimiter(limit), /RateLimiter/],
    ] as const) {
      const message = rejected({ plans, plan });
      expect(message.startsWith(`sluice: option \`plans\` ${expected}; got `)).toBe(true);
      if (typeof shown === 'string') expect(message).toBe(`sluice: option \`plans\` ${expected}; got ${shown}`);
      else expect(message.slice(`sluice: option \`plans\` ${expected}; got `.length)).toMatch(shown);
    }
    expect(rejected({ plans: {}, plan })).toBe('sluice: option `plans` must name at least one plan; got {}');
  });

  it('a plan that is neither a RateLimiter nor options: null, a number, a string, a function', () => {
    const expected = 'must be a RateLimiter or the options of one';
    expect(rejected({ plans: { free: null }, plan })).toBe(`sluice: option \`plans.free\` ${expected}; got null`);
    expect(rejected({ plans: { free: limit, paid: 10 }, plan })).toBe(`sluice: option \`plans.paid\` ${expected}; got 10`);
    expect(rejected({ plans: { free: 'gold' }, plan })).toBe(`sluice: option \`plans.free\` ${expected}; got "gold"`);
    const fn = configError(() => resolveHttpOptions({ plans: { free: () => limit }, plan }));
    expect(fn.option).toBe('plans.free');
    expect(fn.message).toMatch(/^sluice: option `plans.free` must be a RateLimiter or the options of one; got /);
  });

  it('`plan` that is not a function, and each of `plans`/`plan` without the other', () => {
    const plans = { free: limit };
    for (const [bad, shown] of [
      ['free', '"free"'],
      [1, '1'],
      [null, 'null'],
    ] as const) {
      expect(rejected({ plans, plan: bad })).toBe(`sluice: option \`plan\` must be a function (req) => plan name; got ${shown}`);
    }
    expect(rejected({ plans })).toBe('sluice: option `plan` must be given with `plans`: a function (req) => plan name; got undefined');
    expect(rejected({ plan })).toBe('sluice: option `plans` must be given with `plan` (the limiters to choose from); got undefined');
  });

  it('`plans` beside `limiter`, `limits` or any limit option', () => {
    const plans = { free: limit };
    const limiter = new RateLimiter(limit);
    expect(configError(() => resolveHttpOptions({ plans, plan, limiter })).message).toMatch(
      /^sluice: option `limiter` cannot be combined with `plans`; make it one of the plans; got /,
    );
    const limits = [{ capacity: 2, refillRate: 2, interval: '1s' }];
    expect(configError(() => resolveHttpOptions({ plans, plan, limits })).option).toBe('limits');
    expect(
      rejected({ plans, plan, limits }).startsWith(
        'sluice: option `limits` cannot be combined with `plans`; give each plan its own limits; got ',
      ),
    ).toBe(true);
    for (const [name, value] of [
      ['capacity', 5],
      ['refillRate', 1],
      ['interval', '1m'],
    ] as const) {
      expect(rejected({ plans, plan, [name]: value })).toBe(
        `sluice: option \`${name}\` cannot be combined with \`plans\`; give each plan its own limits; got ${JSON.stringify(value)}`,
      );
    }
  });

  it("a plan's options are read as the top level's are: own and inherited, each once", () => {
    let reads = 0;
    const base = {
      get capacity() {
        reads++;
        return 3;
      },
    };
    const free = Object.assign(Object.create(base) as object, { refillRate: 1, interval: '1m' });
    const limiter = resolveHttpOptions({ plans: { free }, plan }).plans?.get('free');
    expect(limiter?.limits.map((band) => [band.capacity, band.refillRate, band.intervalMs])).toEqual([[3, 1, 60_000]]);
    expect(reads).toBe(1);
  });

  it('a plan named `__proto__` (as JSON.parse makes one) is a plan like any other', () => {
    const plans = JSON.parse('{"__proto__": {"capacity": 2, "refillRate": 1}, "free": {"capacity": 5, "refillRate": 1}}') as object;
    const resolved = resolveHttpOptions({ plans, plan }).plans;
    expect([...(resolved?.keys() ?? [])]).toEqual(['__proto__', 'free']);
    expect(resolved?.get('__proto__')?.limits[0]?.capacity).toBe(2);
    expect(resolved?.get('free')?.limits[0]?.capacity).toBe(5);
  });

  it("a plan's bad option is named `plans.<name>.<option>`, with the limiter's expectation and the value once", () => {
    const capacity = rejected({ plans: { free: { capacity: 'ten tokens', refillRate: 1 } }, plan });
    const own = configError(() => new RateLimiter({ capacity: 'ten tokens', refillRate: 1 } as never)).message;
    expect(own).toMatch(/^sluice: option `capacity` must be a positive, finite number: .*; got "ten tokens"$/);
    expect(capacity).toBe(own.replace('`capacity`', '`plans.free.capacity`'));
    expect(capacity.match(/; got /g)).toHaveLength(1);
    expect(capacity.match(/sluice: option/g)).toHaveLength(1);
    expect(rejected({ plans: { free: limit, paid: { capacity: 10 } }, plan })).toBe(
      'sluice: option `plans.paid.refillRate` must be a positive, finite number; got undefined',
    );
    expect(rejected({ plans: { free: { limits: 5 } }, plan })).toBe(
      'sluice: option `plans.free.limits` must be a non-empty array of { capacity, refillRate, interval }; got 5',
    );
    const nested = configError(() =>
      resolveHttpOptions({ plans: { free: { limits: [limit, { capacity: 1, refillRate: 1, interval: 'soon' }] } }, plan }),
    );
    expect(nested.option).toBe('plans.free.limits[1].interval');
    expect(nested.message).toMatch(/^sluice: option `plans\.free\.limits\[1\]\.interval` [^`]*; got "soon"$/);
  });

  it("a plan's unknown options, one or several, at the top or inside `limits`, are named under `plans.<name>`", () => {
    const own = (options: object) => configError(() => new RateLimiter(options as never));
    const inPlan = (options: object) => configError(() => resolveHttpOptions({ plans: { free: options }, plan }));
    const cases: object[] = [
      { ...limit, windowMs: 5 },
      { ...limit, foo: 1, bar: 2 },
      { ...limit, foo: 1, bar: 2, baz: 3, qux: 4, max: 5 },
      { limits: [{ ...limit, interval: '1s', foo: 1, bar: 2 }] },
    ];
    for (const options of cases) {
      const direct = own(options);
      const planned = inPlan(options);
      const paths = direct.option.split(', ');
      expect(planned.option).toBe(paths.map((path) => `plans.free.${path}`).join(', '));
      // The same message, each path that leads it rooted at the plan; the hints and known names stay as they were.
      let expected = direct.message;
      for (const path of paths.slice(0, 3)) expected = expected.replace(`\`${path}\``, `\`plans.free.${path}\``);
      expect(planned.message).toBe(expected);
      expect(planned.message.match(/sluice: option/g)).toHaveLength(1);
    }
    expect(inPlan({ ...limit, foo: 1, bar: 2 }).message).toMatch(
      /^sluice: options `plans\.free\.foo`, `plans\.free\.bar` are not known options \(`foo`: not a known option; `bar`: not a known option\); known options: capacity, /,
    );
    expect(inPlan({ ...limit, foo: 1, bar: 2, baz: 3, qux: 4 }).message).toMatch(
      /^sluice: options `plans\.free\.foo`, `plans\.free\.bar`, `plans\.free\.baz`, 1 more are not known options /,
    );
  });

  it("each plan's buckets live under `<prefix>plan:<name>:` (prefix 'sl:' by default), unless it sets its own", () => {
    const defaulted = resolveHttpOptions({ plans: { free: limit, paid: { ...limit, capacity: 50 } }, plan }).plans;
    expect(defaulted?.get('free')?.policy.prefix).toBe('sl:plan:free:');
    expect(defaulted?.get('paid')?.policy.prefix).toBe('sl:plan:paid:');
    const given = resolveHttpOptions({ plans: { free: limit, own: { ...limit, prefix: 'mine:' } }, plan, prefix: 'api:' }).plans;
    expect(given?.get('free')?.policy.prefix).toBe('api:plan:free:');
    expect(given?.get('own')?.policy.prefix).toBe('mine:');
  });

  it('the top-level store, timeoutMs and blockDuration reach every plan given as options; a ready plan stays as it is', () => {
    const store = new MemoryStore();
    const ready = new RateLimiter({ ...limit, prefix: 'ready:' });
    const clock = () => 1_000_000;
    const onDegraded = () => {};
    const resolved = resolveHttpOptions({
      plans: { free: limit, ready },
      plan,
      store,
      clock,
      timeoutMs: 250,
      onStoreError: 'deny',
      onDegraded,
      blockDuration: '1m',
    });
    const free = resolved.plans?.get('free') as RateLimiter;
    expect(resolved.limiter).toBe(free);
    expect(resolved.plans?.get('ready')).toBe(ready);
    expect(free.store).toBe(store);
    expect(ready.store).not.toBe(store);
    expect(free.policy.blockMs).toBe(60_000);
    expect(free.timeoutMs).toBe(250);
    expect(ready.timeoutMs).not.toBe(250);
    expect(ready.policy.blockMs).toBe(0);
  });
});

describe('warnings', () => {
  it('are the text alone without a detail, and the text and the detail with one', () => {
    warnOnce('SLUICE_DOUBLE_COUNT');
    warnOnce('SLUICE_FINAL_COST_FAILED', 'It threw TypeError: boom.');
    warnOnce('SLUICE_FINAL_COST_FAILED', 'again');
    expect(takeWarnings()).toEqual([
      { name: 'SluiceWarning', code: 'SLUICE_DOUBLE_COUNT', message: WARNINGS.SLUICE_DOUBLE_COUNT },
      {
        name: 'SluiceWarning',
        code: 'SLUICE_FINAL_COST_FAILED',
        message: `${WARNINGS.SLUICE_FINAL_COST_FAILED} It threw TypeError: boom.`,
      },
    ]);
  });
});
