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
    timeoutMs: 5000,
  } as RateLimiterOptions);
  return { limiter, clock };
}

function snapshot(result: StoreResult) {
  return { allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) };
}

function essentials(d: Decision) {
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
          const model = (key: string) => {
            let found = models.get(key);
            if (found === undefined) {
              found = new GcraModel(modelLimits);
              models.set(key, found);
            }
            return found;
          };
          const other = setup(t, limit);
          // Redis expires a key (PX) in wall time. The fake clock must never run behind wall time, or on a slow
          // machine Redis forgets a bucket that the fake clock still sees a fraction of a token short of full.
          const start = other.clock.now;
          const wallStart = performance.now();
          let advanced = 0;
          for (const { key, kind, cost, advance } of ops) {
            advanced += advance;
            other.clock.now = start + advanced + Math.ceil(performance.now() - wallStart); // whole ms: exact arithmetic
            const now = other.clock.now;
            if (kind === 'reset') {
              models.delete(key);
              await other.limiter.reset(key);
            } else if (kind === 'giveBack') {
              model(key).refund(now, cost);
              await other.limiter.store.update(other.limiter.policy, key, -cost, 0, now);
            } else {
              const want = model(key).call(now, kind === 'peek' ? 0 : cost);
              const got = kind === 'peek' ? await other.limiter.peek(key) : await other.limiter.consume(key, cost);
              expect(essentials(got)).toEqual(essentials({ ...want, degraded: false, blocked: false, bands: undefined }));
              expect(got.degraded).toBe(false);
              const gotBands = got.bands?.map((b) => [b.remaining, b.retryAfterMs, b.resetMs]);
              expect(gotBands).toEqual(
                modelLimits.length > 1 ? want.bands.map((b) => [b.remaining, b.retryAfterMs, b.resetMs]) : undefined,
              );
            }
          }
        }),
        { numRuns: 40 },
      );
    });
  });
}
