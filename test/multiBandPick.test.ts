import { describe, expect, it } from 'vitest';
import { MemoryStore, RateLimiter } from '../src/index.js';
import { GcraModel } from './gcraModel.js';

describe('which band speaks for a multi-band decision', () => {
  // Band 0: 3 tokens at 1/s; band 1: 2 tokens at 2/s. After taking 2, a call of 2 is 1 s short in both bands.
  const limits = [
    { capacity: 3, refillRate: 1, interval: 1000 },
    { capacity: 2, refillRate: 2, interval: 1000 },
  ];

  it('on a tie of retry-afters, the first band (as the model says), and the decision is not degraded', () => {
    const limiter = new RateLimiter({ limits, store: new MemoryStore({ sweepInterval: false }), clock: () => 0 });
    const model = new GcraModel(limits);
    model.call(0, 2);
    const allowed = limiter.consumeSync('k', 2);
    expect(allowed).toMatchObject({ allowed: true, degraded: false });
    const want = model.call(0, 2);
    const denied = limiter.consumeSync('k', 2);
    expect(denied.bands?.map((band) => band.retryAfterMs)).toEqual([1000, 1000]);
    expect(denied).toMatchObject({ allowed: false, degraded: false, limit: want.limit, retryAfterMs: 1000, resetMs: want.resetMs });
    expect(want.limit).toBe(3);
  });
});
