/**
 * `delay` in detail, through real Express 4/5 and Fastify 4/5 apps: each bad value of its options with the whole
 * message, which refusals are held (not degraded ones, not blocked ones, not those due later than `maxWaitMs`, its
 * boundary included), the `maxHeld` count going back down after every hold and every disconnect, and no listener
 * left on the response.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, type Policy, RateLimiter, SluiceConfigError, type Store, type StoreResult } from '../../src/index.js';
import { SlowStore } from '../setup/slowStore.js';
import { eventually, failOnUnhandledRejections, sleep } from './adapterTestSupport.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

failOnUnhandledRejections();

/**
 * An asynchronous store whose backend is down for its first `downFor` updates (they reject) and then answers as a
 * MemoryStore, or is down again from the `downFrom`-th update on.
 */
class FlakyStore implements Store {
  readonly synchronous = false;
  updates = 0;
  private readonly inner = new MemoryStore({ sweepInterval: false });
  constructor(private readonly health: { downFor?: number; downFrom?: number }) {}
  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): Promise<StoreResult> {
    const n = this.updates++;
    if (n < (this.health.downFor ?? 0) || n >= (this.health.downFrom ?? Number.POSITIVE_INFINITY)) {
      return Promise.reject(new Error('backend down'));
    }
    const result = this.inner.update(policy, key, cost, slackMs, now);
    return Promise.resolve({ allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) });
  }
  reset(policy: Policy, key: string): Promise<void> {
    this.inner.reset(policy, key);
    return Promise.resolve();
  }
}

const limit = { capacity: 1, refillRate: 1, interval: '1m' } as const;
const expected = 'must be a finite number of ms ≥ 0';
const badOptions: [unknown, string][] = [
  [true, 'sluice: option `delay` must be an object { maxWaitMs, maxHeld }; got true'],
  [null, 'sluice: option `delay` must be an object { maxWaitMs, maxHeld }; got null'],
  [100, 'sluice: option `delay` must be an object { maxWaitMs, maxHeld }; got 100'],
  ['fast', 'sluice: option `delay` must be an object { maxWaitMs, maxHeld }; got "fast"'],
  [{ maxWaitMs: 100, maxHold: 5 }, 'sluice: option `delay.maxHold` is not an option of `delay` (maxWaitMs, maxHeld); got 5'],
  [{ maxWaitMs: 100, wait: true }, 'sluice: option `delay.wait` is not an option of `delay` (maxWaitMs, maxHeld); got true'],
  [{}, `sluice: option \`delay.maxWaitMs\` ${expected}; got undefined`],
  [{ maxWaitMs: null }, `sluice: option \`delay.maxWaitMs\` ${expected}; got null`],
  [{ maxWaitMs: '1s' }, `sluice: option \`delay.maxWaitMs\` ${expected}; got "1s"`],
  [{ maxWaitMs: [100] }, `sluice: option \`delay.maxWaitMs\` ${expected}; got Array(1) [100]`],
  [{ maxWaitMs: -1 }, `sluice: option \`delay.maxWaitMs\` ${expected}; got -1`],
  [{ maxWaitMs: -0.5 }, `sluice: option \`delay.maxWaitMs\` ${expected}; got -0.5`],
  [{ maxWaitMs: Number.NaN }, `sluice: option \`delay.maxWaitMs\` ${expected}; got NaN`],
  [{ maxWaitMs: Number.POSITIVE_INFINITY }, `sluice: option \`delay.maxWaitMs\` ${expected}; got Infinity`],
  [{ maxWaitMs: 100, maxHeld: 0 }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got 0'],
  [{ maxWaitMs: 100, maxHeld: -5 }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got -5'],
  [{ maxWaitMs: 100, maxHeld: 1.5 }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got 1.5'],
  [{ maxWaitMs: 100, maxHeld: Number.NaN }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got NaN'],
  [{ maxWaitMs: 100, maxHeld: null }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got null'],
  [{ maxWaitMs: 100, maxHeld: '10' }, 'sluice: option `delay.maxHeld` must be a whole number ≥ 1; got "10"'],
];

describe.each(FRAMEWORK_TARGETS)('$name', (target) => {
  it.each(badOptions)('delay: %o is refused with the whole message', async (delay, message) => {
    const started = target.start({ ...limit, delay });
    await expect(started).rejects.toThrow(SluiceConfigError);
    await expect(started).rejects.toThrow(message);
    await expect(started).rejects.toHaveProperty('message', message);
  });

  it("delay's maxWaitMs may be 0 and at most the limiter's maxWaitMs, that value included", async () => {
    const limiter = new RateLimiter(limit);
    for (const maxWaitMs of [0, 0.5, limiter.maxWaitMs]) {
      const app = await target.start({ limiter: new RateLimiter(limit), delay: { maxWaitMs, maxHeld: 1 } });
      expect((await app.get('/')).status).toBe(200);
    }
    const over = target.start({ limiter, delay: { maxWaitMs: limiter.maxWaitMs + 1 } });
    await expect(over).rejects.toHaveProperty(
      'message',
      `sluice: option \`delay.maxWaitMs\` must be at most the limiter's maxWaitMs (${limiter.maxWaitMs} ms); got ${limiter.maxWaitMs + 1}`,
    );
  });

  it('delay: false and delay: undefined mean no delay: a refusal is sent at once', async () => {
    for (const delay of [false, undefined]) {
      const app = await target.start({ capacity: 1, refillRate: 1, interval: 300, delay });
      expect((await app.get('/')).status).toBe(200);
      const started = performance.now();
      expect((await app.get('/')).status).toBe(429);
      expect(performance.now() - started).toBeLessThan(250);
    }
  });

  it('a refusal due exactly at maxWaitMs is held, one due 1 ms later is not', async () => {
    // A clock that stands still: the second request is refused with retryAfterMs exactly 200.
    const now = Date.now();
    for (const [maxWaitMs, status] of [
      [200, 200],
      [199, 429],
    ] as const) {
      const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 200, clock: () => now });
      const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs } });
      expect((await app.get('/')).status).toBe(200);
      const started = performance.now();
      const second = await app.get('/');
      expect([maxWaitMs, second.status]).toEqual([maxWaitMs, status]);
      if (status === 200) expect(performance.now() - started).toBeGreaterThanOrEqual(195);
      else expect(second.headers['retry-after']).toBe('1');
    }
  });

  it('a refusal due later than maxWaitMs is answered with its own decision, without a second look at the store', async () => {
    // Each reading of the clock is a second later: a second decision would answer a shorter Retry-After.
    let now = Date.now();
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: '10s', clock: () => (now += 1000) });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 1000 } });
    expect((await app.get('/')).status).toBe(200);
    const refused = await app.get('/');
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '9']);
  });

  it('a degraded refusal (the store failed) is sent at once, not held until the store answers again', async () => {
    const store = new FlakyStore({ downFor: 1 });
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300, store, onStoreError: 'deny' });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 2000 } });
    const refused = await app.get('/');
    expect(refused.status).toBe(429);
    expect(store.updates).toBe(1);
    // The store is back: the bucket is full.
    expect((await app.get('/')).status).toBe(200);
  });

  it('a blocked refusal (blockDuration) gets the blocked answer at once, not a hold that waits out the block', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300, blockDuration: 600 });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 2000 } });
    expect((await app.get('/')).status).toBe(200);
    const started = performance.now();
    expect((await app.get('/')).status).toBe(429);
    expect(performance.now() - started).toBeLessThan(250);
    expect(app.handled()).toBe(1);
  });

  it('a store failure during a hold reaches the error handler (onStoreError: throw)', async () => {
    const store = new FlakyStore({ downFrom: 2 });
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 300, store, onStoreError: 'throw' });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 2000 } });
    expect((await app.get('/')).status).toBe(200);
    const failed = await app.get('/', { signal: AbortSignal.timeout(3000) });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ failed: 'SluiceStoreError', message: 'sluice: the store failed' });
    expect(app.errors.map((error) => error.name)).toEqual(['SluiceStoreError']);
  });

  it('the held count goes back down after each hold, and no close listener is left on the response', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 200 });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 1000, maxHeld: 1 } });
    const firstSent = performance.now();
    const unheld = JSON.parse((await app.get('/close-listeners')).body) as number;
    // With maxHeld 1, each of these is held only if the one before gave its place back: the third is due 600 ms
    // after the first request.
    for (let i = 0; i < 3; i++) {
      const held = await app.get('/close-listeners');
      expect([i, held.status, JSON.parse(held.body)]).toEqual([i, 200, unheld]);
    }
    expect(performance.now() - firstSent).toBeGreaterThanOrEqual(595);
  });

  it('a client that disconnects while held frees its place and its tokens, and is no error', async () => {
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 1000 });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 3000, maxHeld: 1 } });
    const firstSent = performance.now();
    expect((await app.get('/')).status).toBe(200);
    const abort = new AbortController();
    const gone = app.get('/', { signal: abort.signal }).catch((error: Error) => error.name);
    await sleep(50);
    abort.abort();
    expect(await gone).toBe('AbortError');
    // The server sees the disconnect a moment after the client.
    await sleep(50);
    // Its place is free: the next one is held (not refused), and gets the token the first gave back, due 1 s
    // after the first request (2 s had the token not come back).
    expect((await app.get('/')).status).toBe(200);
    expect(performance.now() - firstSent).toBeLessThan(1600);
    expect(app.handled()).toBe(2);
    expect(app.errors).toEqual([]);
  });

  it('a client that disconnected before its refusal was decided is not held, and takes no token', async () => {
    // The store answers 300 ms late: the client is gone by the time the refusal comes.
    const limiter = new RateLimiter({ capacity: 1, refillRate: 1, interval: 1000, store: new SlowStore(300), timeoutMs: 2000 });
    const app = await target.start({ limiter, key: () => 'client', delay: { maxWaitMs: 5000, maxHeld: 1 } });
    expect((await app.get('/')).status).toBe(200);
    const abort = new AbortController();
    const gone = app.get('/', { signal: abort.signal }).catch((error: Error) => error.name);
    await sleep(100);
    abort.abort();
    expect(await gone).toBe('AbortError');
    await sleep(300);
    // Nothing was reserved for it: the bucket is full 1 s after the first request, not 2 s.
    const state = await limiter.consume('client', 0);
    expect(state.resetMs).toBeLessThanOrEqual(1000);
    // And nothing holds a place: the next refusal is held.
    await eventually(async () => (await app.get('/')).status === 200);
    expect(app.errors).toEqual([]);
  });
});
