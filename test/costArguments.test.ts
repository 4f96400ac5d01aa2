/**
 * Bad costs for every call that takes one (consume, consumeSync, wait, charge, chargeSync, refund, refundSync):
 * refused with a SluiceArgumentError naming the argument (`cost` or `cost.<band>`) and the value, with nothing
 * taken and the store never called. Also: a store written outside sluice on the documented recipe (it calls
 * applyCall) keeps deciding plain numeric costs as MemoryStore does.
 */
import { describe, expect, it } from 'vitest';
import {
  applyCall,
  CostExceedsCapacityError,
  type LimitOptions,
  MemoryStore,
  type Policy,
  RateLimiter,
  SluiceArgumentError,
  type Store,
  type StoreResult,
} from '../src/index.js';

/** A MemoryStore that counts its calls and records the cost each one hands it. */
class CountingStore extends MemoryStore {
  calls = 0;
  readonly costs: unknown[] = [];
  override update(...args: Parameters<MemoryStore['update']>): StoreResult {
    this.calls++;
    this.costs.push(typeof args[2] === 'number' ? args[2] : Array.from(args[2]));
    return super.update(...args);
  }
}

/** A limiter of bands `requests` and `tokens` (and `more` after them) on a CountingStore. */
function twoBands(...more: LimitOptions[]) {
  const store = new CountingStore();
  const limiter = new RateLimiter({
    store,
    limits: [
      { capacity: 60, refillRate: 60, interval: '1m', name: 'requests' },
      { capacity: 90_000, refillRate: 90_000, interval: '1m', name: 'tokens' },
      ...more,
    ],
  });
  return { store, limiter };
}

type Call = 'consume' | 'consumeSync' | 'wait' | 'charge' | 'chargeSync' | 'refund' | 'refundSync';
const CALLS: Call[] = ['consume', 'consumeSync', 'wait', 'charge', 'chargeSync', 'refund', 'refundSync'];

async function invoke(limiter: RateLimiter, call: Call, cost: unknown): Promise<unknown> {
  const key = 'k';
  const given = cost as number;
  switch (call) {
    case 'consume':
      return limiter.consume(key, given);
    case 'consumeSync':
      return limiter.consumeSync(key, given);
    case 'wait':
      return limiter.wait(key, given, { maxWaitMs: 10 });
    case 'charge':
      return limiter.charge(key, given);
    case 'chargeSync':
      return limiter.chargeSync(key, given);
    case 'refund':
      return limiter.refund(key, given);
    case 'refundSync':
      return limiter.refundSync(key, given);
  }
}

/** A Proxy that was revoked: any look at it (Array.isArray, its keys, instanceof) throws a TypeError. */
function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Expects `outcome` to reject (or throw) a SluiceArgumentError naming `argument`, its message matching `shown`. */
async function expectArgumentError(outcome: Promise<unknown>, argument: string, shown: RegExp): Promise<void> {
  const error = await outcome.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SluiceArgumentError);
  expect((error as SluiceArgumentError).argument).toBe(argument);
  expect((error as Error).message).toMatch(shown);
}

const BAD: [string, unknown, string, RegExp][] = [
  ['NaN', Number.NaN, 'cost', /got NaN/],
  ['Infinity', Number.POSITIVE_INFINITY, 'cost', /got Infinity/],
  ['a fraction', 1.5, 'cost', /got 1\.5/],
  ['a negative number', -1, 'cost', /got -1/],
  ['a string', '5', 'cost', /got '5'|got "5"/],
  ['null', null, 'cost', /got null/],
  ['an array', [1, 350], 'cost', /object of them keyed by band name/],
  ['a function', () => 1, 'cost', /must be a whole number/],
  ['an unknown band', { requests: 1, tokens: 1, images: 1 }, 'cost', /unknown band "images"/],
  ['a missing band', { requests: 1 }, 'cost', /misses band tokens/],
  ['a band part of NaN', { requests: 1, tokens: Number.NaN }, 'cost.tokens', /got NaN/],
  ['a fractional band part', { requests: 0.5, tokens: 1 }, 'cost.requests', /got 0\.5/],
  ['a negative band part', { requests: 1, tokens: -350 }, 'cost.tokens', /got -350/],
  ['a band part of Infinity', { requests: 1, tokens: Number.POSITIVE_INFINITY }, 'cost.tokens', /got Infinity/],
  ['a revoked Proxy', revokedProxy(), 'cost', /`cost` cannot be read \(.*revoked.*\); got /],
  [
    'a Proxy whose ownKeys trap throws',
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    ),
    'cost',
    /`cost` cannot be read \(no keys\)/,
  ],
  [
    'an object whose band getter throws',
    {
      requests: 1,
      get tokens(): number {
        throw new Error('no tokens');
      },
    },
    'cost',
    /`cost` cannot be read \(no tokens\)/,
  ],
];

describe('bad costs', () => {
  for (const call of CALLS) {
    for (const [what, cost, argument, shown] of BAD) {
      it(`${call} refuses ${what}, naming \`${argument}\` and the value, taking nothing`, async () => {
        const { store, limiter } = twoBands();
        await expectArgumentError(invoke(limiter, call, cost), argument, shown);
        expect(store.calls).toBe(0);
        expect((await limiter.peek('k')).bands?.map((b) => b.remaining)).toEqual([60, 90_000]);
      });
    }
  }

  it('a band part above its capacity is a CostExceedsCapacityError naming the band (consume, wait), not for a charge or refund', async () => {
    const { store, limiter } = twoBands();
    const error = await limiter.consume('k', { requests: 1, tokens: 90_001 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CostExceedsCapacityError);
    expect((error as CostExceedsCapacityError).argument).toBe('cost.tokens');
    expect((error as Error).message).toMatch(/`cost\.tokens` must be at most the capacity \(90000\).*got 90001/);
    await expect(limiter.wait('k', 61)).rejects.toThrow(CostExceedsCapacityError);
    expect(store.calls).toBe(0);
    expect((await limiter.charge('k', { requests: 1, tokens: 90_001 })).allowed).toBe(true);
    expect((await limiter.refund('k', 1_000_000)).remaining).toBe(60);
  });

  it('a charge above maxCharge (the largest debt counted exactly) is refused, naming the bound', async () => {
    const { store, limiter } = twoBands();
    expect(limiter.maxCharge).toBeGreaterThan(90_000);
    await expect(limiter.charge('k', limiter.maxCharge + 1)).rejects.toThrow(
      new RegExp(`\`cost\` must be at most ${limiter.maxCharge} tokens for a charge`),
    );
    await expect(limiter.charge('k', 2 ** 53)).rejects.toThrow(SluiceArgumentError);
    expect(store.calls).toBe(0);
    expect((await limiter.charge('k', limiter.maxCharge)).remaining).toBe(0);
  });

  it('a per-band cost needs named bands', async () => {
    const limiter = new RateLimiter({
      limits: [
        { capacity: 5, refillRate: 1 },
        { capacity: 50, refillRate: 1, interval: '1m' },
      ],
    });
    await expect(limiter.consume('k', { a: 1 })).rejects.toThrow(/every band named \(limits\[i\]\.name\)/);
    const named = new RateLimiter({ capacity: 5, refillRate: 1, name: 'requests' });
    expect(named.consumeSync('k', { requests: 2 }).remaining).toBe(3);
  });

  it('blockDuration: a bad or too long duration is refused at construction, naming the option', () => {
    expect(() => new RateLimiter({ capacity: 5, refillRate: 1, blockDuration: -1 })).toThrow(/`blockDuration` must be a positive/);
    expect(() => new RateLimiter({ capacity: 5, refillRate: 1, blockDuration: '1 fortnight' as '1m' })).toThrow(/`blockDuration`/);
    expect(() => new RateLimiter({ capacity: 5, refillRate: 1, blockDuration: 2 ** 60 })).toThrow(/`blockDuration` must be at most \d+ ms/);
    expect(new RateLimiter({ capacity: 5, refillRate: 1, blockDuration: '15 minutes' }).blockMs).toBe(900_000);
  });
});

describe('what a bad cost is told', () => {
  it('a cost that is neither a number nor an object keyed by band name: what a cost must be', async () => {
    for (const cost of [null, '5', [1, 350], () => 1, true, 5n]) {
      for (const call of CALLS) {
        const { store, limiter } = twoBands();
        await expectArgumentError(
          invoke(limiter, call, cost),
          'cost',
          /^sluice: argument `cost` must be a whole number of tokens ≥ 0, or an object of them keyed by band name; got /,
        );
        expect(store.calls).toBe(0);
      }
    }
  });

  it('an unknown band: its name cut to 64 characters, and the names of every band', async () => {
    const { limiter } = twoBands();
    const long = 'x'.repeat(200);
    await expectArgumentError(
      limiter.consume('k', { requests: 1, [long]: 1 }),
      'cost',
      new RegExp(`\`cost\` names an unknown band "${'x'.repeat(63)}; a per-band cost names every band: requests, tokens; got `),
    );
    await expectArgumentError(
      limiter.consume('k', { requests: 1, tokens: 1, images: 1 }),
      'cost',
      /`cost` names an unknown band "images"; a per-band cost names every band: requests, tokens; got /,
    );
  });

  it('a band left out: its name, or its index when it has none', async () => {
    const { limiter } = twoBands();
    await expectArgumentError(
      limiter.consume('k', { tokens: 1 }),
      'cost',
      /`cost` misses band requests; a per-band cost names every band: requests, tokens; got /,
    );
    const partlyNamed = new RateLimiter({
      limits: [
        { capacity: 5, refillRate: 1, name: 'requests' },
        { capacity: 50, refillRate: 1, interval: '1m' },
      ],
    });
    await expectArgumentError(
      partlyNamed.consume('k', { requests: 1 }),
      'cost',
      /`cost` misses band 1 \(unnamed\); a per-band cost needs every band named \(limits\[i\]\.name\); got /,
    );
  });
});

describe('the cost a store receives', () => {
  it('one number when every band gets the same part, else one part per band in band order (negated for a refund)', async () => {
    const { store, limiter } = twoBands({ capacity: 1_000, refillRate: 1_000, interval: '1h', name: 'images' });
    await limiter.consume('k', { tokens: 2, images: 2, requests: 2 });
    await limiter.consume('k', { requests: 1, tokens: 350, images: 1 });
    await limiter.consume('k', { requests: 1, tokens: 1, images: 4 });
    await limiter.refund('k', { requests: 3, tokens: 3, images: 3 });
    await limiter.charge('k', { requests: 0, tokens: 100, images: 0 });
    expect(store.costs).toEqual([2, [1, 350, 1], [1, 1, 4], -3, [0, 100, 0]]);
  });
});

/** A store written on the documented recipe, as a user would: a Map of TAT arrays, applyCall, numbers only. */
class UserStore implements Store {
  readonly synchronous = true;
  private readonly state = new Map<string, { tats: number[]; shorts: number[] }>();
  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): StoreResult {
    const n = policy.bands.length;
    const held = this.state.get(policy.namespace + key) ?? { tats: new Array<number>(n).fill(now), shorts: new Array<number>(n).fill(0) };
    const aheads: number[] = new Array<number>(n);
    const allowed = applyCall(policy.bands, held.tats, held.shorts, 0, now, cost, slackMs, aheads);
    if (allowed && cost !== 0) this.state.set(policy.namespace + key, held);
    return { allowed, now, aheads };
  }
  reset(policy: Policy, key: string): void {
    this.state.delete(policy.namespace + key);
  }
}

describe('a store written outside sluice', () => {
  it('decides plain numeric consumes, refunds and charges as MemoryStore does', () => {
    const clock = { now: 1_000_000 };
    const options = { capacity: 5, refillRate: 2, interval: '1s', clock: () => clock.now } as const;
    const mine = new RateLimiter({ ...options, store: new UserStore() });
    const ours = new RateLimiter({ ...options, store: new MemoryStore() });
    const steps: [string, number, number][] = [
      ['consume', 3, 0],
      ['consume', 3, 100],
      ['refund', 1, 0],
      ['consume', 3, 0],
      ['charge', 7, 250],
      ['consume', 1, 1000],
      ['consume', 1, 5000],
    ];
    for (const [call, cost, advance] of steps) {
      clock.now += advance;
      const run = (limiter: RateLimiter) =>
        call === 'consume'
          ? limiter.consumeSync('k', cost)
          : call === 'refund'
            ? limiter.refundSync('k', cost)
            : limiter.chargeSync('k', cost);
      expect(run(mine)).toEqual(run(ours));
    }
  });
});

describe('per-band costs in wait()', () => {
  it('reserves a per-band cost, and an abort gives back exactly each band its part', async () => {
    const clock = { now: 1_000_000 };
    const limiter = new RateLimiter({
      clock: () => clock.now,
      limits: [
        { capacity: 2, refillRate: 2, interval: '1m', name: 'requests' },
        { capacity: 1000, refillRate: 1000, interval: '1m', name: 'tokens' },
      ],
    });
    const granted = await limiter.wait('k', { requests: 1, tokens: 900 });
    expect(granted.bands?.map((b) => b.remaining)).toEqual([1, 100]);
    const controller = new AbortController();
    // 100 of the 200 tokens are 6 s away: reserved now, then aborted before they are due.
    const held = limiter.wait('k', { requests: 1, tokens: 200 }, { maxWaitMs: 10_000, signal: controller.signal });
    expect((await limiter.peek('k')).bands?.map((b) => b.remaining)).toEqual([0, 0]);
    controller.abort(new Error('gone'));
    await expect(held).rejects.toThrow('gone');
    expect((await limiter.peek('k')).bands?.map((b) => b.remaining)).toEqual([1, 100]);
  });
});

describe('unreadable wait() options', () => {
  const cases: [string, () => unknown, string, RegExp][] = [
    ['a revoked Proxy as the options', () => revokedProxy(), 'options', /`options` cannot be read \(.*revoked.*\)/],
    [
      'options whose maxWaitMs getter throws',
      () => ({
        get maxWaitMs(): number {
          throw new Error('no wait');
        },
      }),
      'maxWaitMs',
      /`maxWaitMs` cannot be read \(no wait\)/,
    ],
    ['a revoked Proxy as the signal', () => ({ maxWaitMs: 10, signal: revokedProxy() }), 'signal', /`signal` cannot be read/],
  ];
  for (const [what, options, argument, shown] of cases) {
    it(`wait rejects ${what} with a SluiceArgumentError naming \`${argument}\`, taking nothing`, async () => {
      const { store, limiter } = twoBands();
      await expectArgumentError(limiter.wait('k', 1, options() as { maxWaitMs: number }), argument, shown);
      expect(store.calls).toBe(0);
    });
  }
});
