/**
 * The decision tests every store must pass, run on MemoryStore, RedisStore and RedisStore on a Cluster.
 * Time is the limiter's fake clock, so a store must decide by the `now` it is given (RedisStore with
 * `time: 'client'`). Limits refill over minutes: Redis expires keys in real time (PX = the time until the
 * bucket is full), which must not run out while the fake clock stands still. The random-sequence test replays call sequences on the store under test and on
 * the reference model (test/gcraModel.ts) and requires identical decisions. The optional parts of the contract are
 * checked when the store has them: a `synchronous` store never returns a promise, and `updateInto` answers as `update`.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Decision, RateLimiter, type RateLimiterOptions, type Store, type StoreResult } from '../src/index.js';
import { GcraModel, type ModelLimit } from './gcraModel.js';
import { propertyRuns } from './setup/propertyRuns.js';
import { DECISION_TIMEOUT_MS } from './setup/redisTarget.js';

export interface ContractTarget {
  /** A store deciding by the `now` it is given. Called once per test. */
  makeStore(): Store;
}

type LimitOnly = Omit<RateLimiterOptions, 'store' | 'prefix' | 'clock'>;

function setup(target: ContractTarget, options: LimitOnly) {
  const clock = { now: 1_764_000_000_000 };
  const prefix = `contract:${randomUUID().slice(0, 8)}:`;
  const limiter = new RateLimiter({
    ...options,
    store: target.makeStore(),
    prefix,
    clock: () => clock.now,
    timeoutMs: DECISION_TIMEOUT_MS,
  } as RateLimiterOptions);
  return { limiter, clock };
}

/** The reference model of `key`'s buckets, made on first use. */
function modelOf(models: Map<string, GcraModel>, key: string, limits: readonly ModelLimit[]): GcraModel {
  let found = models.get(key);
  if (found === undefined) {
    found = new GcraModel(limits);
    models.set(key, found);
  }
  return found;
}

/**
 * Moves the fake clock by the given ms plus the wall time gone by, in whole ms (exact arithmetic), and returns it.
 * Redis expires a key (PX) in wall time: the fake clock must never run behind wall time, or on a slow machine Redis
 * forgets a bucket that the fake clock still sees a fraction of a token short of full.
 */
function clockAheadOfWall(clock: { now: number }): (ms: number) => number {
  const start = clock.now;
  const wallStart = performance.now();
  let advanced = 0;
  return (ms) => {
    advanced += ms;
    clock.now = start + advanced + Math.ceil(performance.now() - wallStart);
    return clock.now;
  };
}

function snapshot(result: StoreResult) {
  return { allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) };
}

function essentials(d: Omit<Decision, 'blocked'>) {
  return { allowed: d.allowed, limit: d.limit, remaining: d.remaining, retryAfterMs: d.retryAfterMs, resetMs: d.resetMs };
}

export function storeContract(name: string, target: ContractTarget | undefined): void {
  describe.skipIf(target === undefined)(`store contract: ${name}`, () => {
    const t = target as ContractTarget;

    it('keeps the optional parts of the contract it implements (synchronous results, updateInto)', async () => {
      const { limiter, clock } = setup(t, { capacity: 3, refillRate: 1, interval: '1m' });
      const { store, policy } = limiter;
      const viaUpdate = async (key: string, cost: number, slackMs: number) => {
        const answer = store.update(policy, key, cost, slackMs, clock.now);
        if (store.synchronous) expect(typeof (answer as Partial<PromiseLike<unknown>>).then).not.toBe('function');
        return snapshot(await answer);
      };
      const viaCallback = (key: string, cost: number, slackMs: number) =>
        new Promise<ReturnType<typeof snapshot>>((resolve, reject) => {
          let calls = 0;
          (store.updateInto as NonNullable<Store['updateInto']>)(policy, key, cost, slackMs, clock.now, {
            settle: (result) => {
              calls++;
              resolve(snapshot(result));
            },
            fail: (error) => {
              calls++;
              reject(error);
            },
          });
          setTimeout(() => (calls > 1 ? reject(new Error('updateInto answered more than once')) : undefined), 50);
        });
      const steps: [number, number][] = [
        [1, 0],
        [2, 0],
        [1, 0],
        [0, 0],
        [1, 60_000],
        [-2, 0],
        [3, 0],
      ];
      const byUpdate = [];
      for (const [cost, slackMs] of steps) byUpdate.push(await viaUpdate('u', cost, slackMs));
      if (store.synchronous) expect(typeof (store.reset(policy, 'u') as Partial<PromiseLike<void>> | undefined)?.then).not.toBe('function');
      if (typeof store.updateInto !== 'function') return;
      const byCallback = [];
      for (const [cost, slackMs] of steps) byCallback.push(await viaCallback('c', cost, slackMs));
      expect(byCallback).toEqual(byUpdate);
    });

    it('allows a burst of capacity, then denies without taking, with exact retryAfter and reset', async () => {
      const { limiter } = setup(t, { capacity: 5, refillRate: 1, interval: '1s' });
      const remaining: number[] = [];
      for (let i = 0; i < 5; i++) {
        const d = await limiter.consume('k');
        expect(d.allowed).toBe(true);
        remaining.push(d.remaining);
      }
      expect(remaining).toEqual([4, 3, 2, 1, 0]);
      const denied = await limiter.consume('k');
      expect(essentials(denied)).toEqual({ allowed: false, limit: 5, remaining: 0, retryAfterMs: 1000, resetMs: 5000 });
      expect(denied.degraded).toBe(false);
      expect((await limiter.consume('k')).retryAfterMs).toBe(1000);
      expect((await limiter.consume('other')).remaining).toBe(4);
    });

    it('refills continuously', async () => {
      const { limiter, clock } = setup(t, { capacity: 10, refillRate: 10, interval: '1m' });
      expect((await limiter.consume('k', 10)).allowed).toBe(true);
      clock.now += 15_000; // 2.5 tokens back
      expect(essentials(await limiter.consume('k', 2))).toMatchObject({ allowed: true, remaining: 0, resetMs: 57_000 });
      expect(essentials(await limiter.consume('k', 1))).toMatchObject({ allowed: false, retryAfterMs: 3000 });
      clock.now += 1e9;
      expect(essentials(await limiter.peek('k'))).toMatchObject({ allowed: true, remaining: 10, resetMs: 0 });
    });

    it('has no drift with a fractional emission interval (7 per minute)', async () => {
      const { limiter, clock } = setup(t, { capacity: 7, refillRate: 7, interval: '1m' });
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 7; i++) expect((await limiter.consume('k')).allowed).toBe(true);
        const denied = await limiter.consume('k');
        expect(denied).toMatchObject({ allowed: false, retryAfterMs: 8572 }); // ceil(60000 / 7)
        clock.now += 60_000;
      }
    });

    it('peek takes nothing; reset fills the bucket', async () => {
      const { limiter } = setup(t, { capacity: 5, refillRate: 1, interval: '1m' });
      await limiter.consume('k', 3);
      expect((await limiter.peek('k')).remaining).toBe(2);
      expect((await limiter.peek('k')).remaining).toBe(2);
      await limiter.consume('k', 2);
      expect((await limiter.consume('k')).allowed).toBe(false);
      await limiter.reset('k');
      expect((await limiter.peek('k')).remaining).toBe(5);
      expect((await limiter.consume('k')).allowed).toBe(true);
    });

    it('applies a multi-band call all or nothing', async () => {
      const { limiter, clock } = setup(t, {
        limits: [
          { capacity: 5, refillRate: 5, interval: '1m', name: 'minute' },
          { capacity: 8, refillRate: 8, interval: '1d', name: 'day' },
        ],
      });
      expect((await limiter.consume('k', 5)).allowed).toBe(true);
      clock.now += 60_000; // the first band is full again, the second holds 3
      const denied = await limiter.consume('k', 5);
      expect(denied.allowed).toBe(false);
      expect(denied.bands?.map((b) => b.remaining)).toEqual([5, 3]);
      // Nothing was taken from the first band by the denied call.
      const allowed = await limiter.consume('k', 3);
      expect(allowed.allowed).toBe(true);
      expect(allowed.bands?.map((b) => b.remaining)).toEqual([2, 0]);
      expect(allowed).toMatchObject({ remaining: 0, limit: 8 });
    });

    it('gives tokens back with a negative cost, never past a full bucket', async () => {
      const { limiter, clock } = setup(t, { capacity: 5, refillRate: 1, interval: '1m' });
      await limiter.consume('k', 4);
      await limiter.store.update(limiter.policy, 'k', -2, 0, clock.now);
      expect((await limiter.peek('k')).remaining).toBe(3);
      await limiter.store.update(limiter.policy, 'k', -10, 0, clock.now);
      expect(essentials(await limiter.peek('k'))).toMatchObject({ remaining: 5, resetMs: 0 });
      expect((await limiter.consume('k', 5)).allowed).toBe(true);
      expect((await limiter.consume('k')).allowed).toBe(false);
    });

    it('reserves tokens for wait() in order, and refuses a wait longer than maxWaitMs without taking', async () => {
      // A token per 10 ms; 50 taken keeps the key in Redis for 500 ms of real time (its PX), while the clock stands still.
      const { limiter } = setup(t, { capacity: 50, refillRate: 100, interval: '1s' });
      await limiter.consume('k', 50);
      const started = performance.now();
      const first = limiter.wait('k', 1, { maxWaitMs: 100 });
      const second = limiter.wait('k', 1, { maxWaitMs: 100 });
      const [a, b] = await Promise.all([first, second]);
      expect(a.allowed && b.allowed).toBe(true);
      expect(performance.now() - started).toBeGreaterThanOrEqual(15); // the second waited for the 20 ms token
      const refused = await limiter.wait('k', 2, { maxWaitMs: 5 });
      expect(refused.allowed).toBe(false);
      // The fake clock never moved: both reservations are still outstanding, the refused wait took nothing.
      expect((await limiter.peek('k')).remaining).toBe(0);
      const reservedAgain = await limiter.wait('k', 1, { maxWaitMs: 40 });
      expect(reservedAgain.allowed).toBe(true);
    });

    it('a refusal behind pending wait() reservations is not blocked (no blockDuration)', async () => {
      // A token per 10 s: both reservations stay outstanding, pushing the TAT beyond the tolerance.
      const { limiter } = setup(t, { capacity: 2, refillRate: 1, interval: '10s' });
      await limiter.consume('k', 2);
      const controller = new AbortController();
      const first = limiter.wait('k', 1, { maxWaitMs: 30_000, signal: controller.signal });
      const second = limiter.wait('k', 1, { maxWaitMs: 30_000, signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const refused = await limiter.consume('k');
      expect(refused).toMatchObject({ allowed: false, blocked: false });
      controller.abort();
      await Promise.allSettled([first, second]);
    });

    it('decides exactly like the reference model on random call sequences', async () => {
      const op = fc.record({
        key: fc.constantFrom('a', 'b'),
        kind: fc.constantFrom('consume', 'consume', 'consume', 'peek', 'giveBack', 'reset'),
        cost: fc.integer({ min: 0, max: 4 }),
        advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40_000 }), fc.double({ min: 0, max: 3000, noNaN: true })),
      });
      const limits = fc.constantFrom<LimitOnly>(
        { capacity: 4, refillRate: 3, interval: '1m' },
        { capacity: 5, refillRate: 7, interval: 54_000 },
        {
          limits: [
            { capacity: 4, refillRate: 3, interval: '1m' },
            { capacity: 6, refillRate: 10, interval: '1h' },
          ],
        },
      );
      await fc.assert(
        fc.asyncProperty(limits, fc.array(op, { minLength: 1, maxLength: 25 }), async (limit, ops) => {
          const modelLimits = (limit.limits ?? [limit]) as readonly ModelLimit[];
          const models = new Map<string, GcraModel>();
          const model = (key: string) => modelOf(models, key, modelLimits);
          const other = setup(t, limit);
          const advanceBy = clockAheadOfWall(other.clock);
          for (const { key, kind, cost, advance } of ops) {
            const now = advanceBy(advance);
            if (kind === 'reset') {
              models.delete(key);
              await other.limiter.reset(key);
            } else if (kind === 'giveBack') {
              model(key).refund(now, cost);
              await other.limiter.store.update(other.limiter.policy, key, -cost, 0, now);
            } else {
              const want = model(key).call(now, kind === 'peek' ? 0 : cost);
              const got = kind === 'peek' ? await other.limiter.peek(key) : await other.limiter.consume(key, cost);
              expect(essentials(got)).toEqual(essentials({ ...want, degraded: false, bands: undefined }));
              expect(got.degraded).toBe(false);
              const gotBands = got.bands?.map((b) => [b.remaining, b.retryAfterMs, b.resetMs]);
              expect(gotBands).toEqual(
                modelLimits.length > 1 ? want.bands.map((b) => [b.remaining, b.retryAfterMs, b.resetMs]) : undefined,
              );
            }
          }
        }),
        { numRuns: propertyRuns(40) },
      );
    });

    it('charges into debt: allowed, remaining 0, refused (not blocked: no blockDuration) until the debt of N tokens is refilled after N emission intervals', async () => {
      const { limiter, clock } = setup(t, { capacity: 5, refillRate: 1, interval: '1s' });
      const charged = await limiter.charge('k', 8);
      expect(essentials(charged)).toEqual({ allowed: true, limit: 5, remaining: 0, retryAfterMs: 0, resetMs: 8000 });
      expect(charged.blocked).toBe(false);
      const inDebt = await limiter.consume('k');
      // 3 tokens of debt, then 1 token to refill: 4 s.
      expect(essentials(inDebt)).toEqual({ allowed: false, limit: 5, remaining: 0, retryAfterMs: 4000, resetMs: 8000 });
      expect(inDebt.blocked).toBe(false);
      clock.now += 3000; // the debt is cleared: the bucket is empty, no longer in debt
      const empty = await limiter.consume('k');
      expect(empty).toMatchObject({ allowed: false, blocked: false, retryAfterMs: 1000 });
      clock.now += 1000;
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
      // A charge of 0 only looks; the key then refills as usual.
      clock.now += 5000;
      expect(await limiter.charge('k', 0)).toMatchObject({ allowed: true, remaining: 5, resetMs: 0 });
    });

    it('refunds: gives tokens back, never past a full bucket, also out of a debt', async () => {
      const { limiter } = setup(t, { capacity: 5, refillRate: 1, interval: '1m' });
      await limiter.consume('k', 4);
      expect(await limiter.refund('k', 2)).toMatchObject({ allowed: true, remaining: 3, resetMs: 120_000 });
      expect(essentials(await limiter.refund('k', 10))).toEqual({ allowed: true, limit: 5, remaining: 5, retryAfterMs: 0, resetMs: 0 });
      await limiter.charge('k', 12);
      expect(await limiter.refund('k', 7)).toMatchObject({ allowed: true, remaining: 0, resetMs: 300_000 });
      expect(await limiter.refund('k', 2 ** 60)).toMatchObject({ remaining: 5, resetMs: 0 });
    });

    it('never refuses a refund, also one of 0 tokens (or of 0 in one band) while the bucket is in debt', async () => {
      const { limiter } = setup(t, {
        limits: [
          { capacity: 5, refillRate: 1, interval: '1m', name: 'a' },
          { capacity: 5, refillRate: 1, interval: '1m', name: 'b' },
        ],
        blockDuration: '10m',
      });
      await limiter.charge('k', { a: 8, b: 3 });
      expect(await limiter.refund('k', 0)).toMatchObject({ allowed: true, blocked: false, remaining: 0, retryAfterMs: 0 });
      const perBand = await limiter.refund('k', { a: 0, b: 1 });
      expect(perBand).toMatchObject({ allowed: true, blocked: false, retryAfterMs: 0 });
      expect(perBand.bands?.map((band) => band.remaining)).toEqual([0, 3]);
      // Nothing was blocked by those refunds: band b still serves calls that band a can take once its debt is paid.
      expect((await limiter.peek('k')).bands?.map((band) => band.remaining)).toEqual([0, 3]);
    });

    it('takes a different cost from each band in one atomic call (60 requests/min and 90,000 model tokens/min)', async () => {
      const { limiter } = setup(t, {
        limits: [
          { capacity: 60, refillRate: 60, interval: '1m', name: 'requests' },
          { capacity: 90_000, refillRate: 90_000, interval: '1m', name: 'tokens' },
        ],
      });
      const first = await limiter.consume('k', { requests: 1, tokens: 350 });
      expect(first.allowed).toBe(true);
      expect(first.bands?.map((b) => [b.name, b.remaining])).toEqual([
        ['requests', 59],
        ['tokens', 89_650],
      ]);
      expect((await limiter.consume('k', { requests: 1, tokens: 89_000 })).bands?.map((b) => b.remaining)).toEqual([58, 650]);
      const refused = await limiter.consume('k', { requests: 1, tokens: 651 });
      expect(refused.allowed).toBe(false);
      // 1 token of the tokens band per 2/3 ms: 1 missing token is due in 1 ms.
      expect(refused.retryAfterMs).toBe(1);
      // Nothing was taken from the requests band by the refused call.
      expect(refused.bands?.map((b) => b.remaining)).toEqual([58, 650]);
      // Charged and refunded per band too.
      await limiter.charge('k', { requests: 0, tokens: 1000 });
      expect((await limiter.peek('k')).bands?.map((b) => b.remaining)).toEqual([58, 0]);
      await limiter.refund('k', { requests: 2, tokens: 100_000 });
      expect((await limiter.peek('k')).bands?.map((b) => b.remaining)).toEqual([60, 90_000]);
      // The same cost in every band, as a number or as an object.
      await limiter.consume('k', { requests: 5, tokens: 5 });
      const same = (await limiter.consume('k', 5)).bands?.map((b) => b.remaining) ?? [];
      // A store on its own clock (Redis) may refill a few model tokens (1.5 per ms) between the two calls.
      expect(same[0]).toBe(50);
      expect(same[1]).toBeGreaterThanOrEqual(89_990);
      expect(same[1]).toBeLessThanOrEqual(89_995 + 15);
      await expect(limiter.consume('k', { requests: 61, tokens: 1 })).rejects.toThrow(
        /`cost\.requests` must be at most the capacity \(60\)/,
      );
    });

    it('blockDuration: a refused call blocks the key for that long (again at each refusal), then it refills as usual', async () => {
      const { limiter, clock } = setup(t, { capacity: 2, refillRate: 1, interval: '1s', blockDuration: '10s' });
      await limiter.consume('k', 2);
      const refused = await limiter.consume('k');
      expect(refused).toMatchObject({ allowed: false, blocked: true, retryAfterMs: 10_000, resetMs: 11_000, remaining: 0 });
      clock.now += 8999;
      // A look never blocks (nor extends a block).
      expect(await limiter.peek('k')).toMatchObject({ allowed: false, blocked: true, retryAfterMs: 1 });
      clock.now += 1001;
      expect(await limiter.consume('k')).toMatchObject({ allowed: true, blocked: false, remaining: 0 });
      // A refusal during a block starts it again.
      await limiter.consume('again', 2);
      expect(await limiter.consume('again')).toMatchObject({ allowed: false, retryAfterMs: 10_000 });
      clock.now += 5000;
      expect(await limiter.consume('again')).toMatchObject({ allowed: false, blocked: true, retryAfterMs: 10_000 });
      expect(await limiter.peek('fresh')).toMatchObject({ allowed: true, blocked: false });
    });

    it('blockDuration on several bands pushes only the bands that refused', async () => {
      const { limiter, clock } = setup(t, {
        limits: [
          { capacity: 2, refillRate: 2, interval: '1s', name: 'second' },
          { capacity: 100, refillRate: 100, interval: '1h', name: 'hour' },
        ],
        blockDuration: '1m',
      });
      await limiter.consume('k', 2);
      const refused = await limiter.consume('k');
      expect(refused).toMatchObject({ allowed: false, blocked: true, retryAfterMs: 60_000 });
      expect(refused.bands?.map((b) => [b.remaining, b.resetMs])).toEqual([
        [0, 60_500],
        [98, 72_000],
      ]);
      clock.now += 60_000;
      expect(await limiter.consume('k')).toMatchObject({ allowed: true });
    });

    it('charges, refunds, per-band costs and blocks decide exactly like the reference model', async () => {
      const costs = fc.oneof(fc.integer({ min: 0, max: 4 }), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 6 })));
      const op = fc.record({
        key: fc.constantFrom('a', 'b'),
        kind: fc.constantFrom('consume', 'consume', 'charge', 'refund', 'peek'),
        cost: costs,
        charge: fc.integer({ min: 0, max: 20 }),
        advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40_000 }), fc.double({ min: 0, max: 3000, noNaN: true })),
      });
      const limits = fc.constantFrom<LimitOnly>(
        {
          limits: [
            { capacity: 4, refillRate: 3, interval: '1m', name: 'm' },
            { capacity: 6, refillRate: 10, interval: '1h', name: 'h' },
          ],
        },
        {
          limits: [
            { capacity: 4, refillRate: 3, interval: '1m', name: 'm' },
            { capacity: 6, refillRate: 7, interval: 54_000, name: 'h' },
          ],
          blockDuration: 25_000,
        },
        {
          limits: [
            { capacity: 5, refillRate: 7, interval: 54_000, name: 'm' },
            { capacity: 9, refillRate: 1, interval: '1m', name: 'h' },
          ],
          blockDuration: '1.5s',
        },
      );
      await fc.assert(
        fc.asyncProperty(limits, fc.array(op, { minLength: 1, maxLength: 25 }), async (limit, ops) => {
          const modelLimits = limit.limits as readonly ModelLimit[];
          const blockMs = limit.blockDuration === undefined ? 0 : limit.blockDuration === '1.5s' ? 1500 : (limit.blockDuration as number);
          const models = new Map<string, GcraModel>();
          const model = (key: string) => modelOf(models, key, modelLimits);
          const other = setup(t, limit);
          const advanceBy = clockAheadOfWall(other.clock);
          for (const { key, kind, cost, charge, advance } of ops) {
            const now = advanceBy(advance);
            const parts = typeof cost === 'number' ? cost : [...cost];
            const asCost = typeof parts === 'number' ? parts : { m: parts[0] as number, h: parts[1] as number };
            let want: ReturnType<GcraModel['call']>;
            let got: Decision;
            if (kind === 'peek') {
              want = model(key).call(now, 0, 0, blockMs);
              got = await other.limiter.peek(key);
            } else if (kind === 'charge') {
              const charged = typeof parts === 'number' ? charge : [charge, parts[1] as number];
              want = model(key).call(now, charged, Number.POSITIVE_INFINITY, blockMs);
              got = await other.limiter.charge(
                key,
                typeof charged === 'number' ? charged : { m: charged[0] as number, h: charged[1] as number },
              );
            } else if (kind === 'refund') {
              want = model(key).refund(now, parts);
              got = await other.limiter.refund(key, asCost);
              expect(got.allowed).toBe(true);
            } else {
              want = model(key).call(now, parts, 0, blockMs);
              got = await other.limiter.consume(key, asCost);
            }
            expect(essentials(got)).toEqual(essentials({ ...want, degraded: false, bands: undefined }));
            expect(got.blocked).toBe(model(key).blocked(want.allowed, blockMs));
            expect(got.bands?.map((b) => [b.remaining, b.retryAfterMs, b.resetMs])).toEqual(
              want.bands.map((b) => [b.remaining, b.retryAfterMs, b.resetMs]),
            );
          }
        }),
        { numRuns: propertyRuns(40) },
      );
    });
  });
}
