import { describe, expect, it } from 'vitest';
import { resolveHttpOptions } from '../../src/http/httpLimitOptions.js';
import { MemoryStore, RateLimiter, SluiceConfigError } from '../../src/index.js';

const limit = { capacity: 5, refillRate: 1 };

describe('resolveHttpOptions', () => {
  it('builds a limiter from inline options, with the defaults', () => {
    const store = new MemoryStore();
    const resolved = resolveHttpOptions({ ...limit, interval: '1m', store, prefix: 'api:' });
    expect(resolved.limiter).toBeInstanceOf(RateLimiter);
    expect(resolved.limiter.store).toBe(store);
    expect(resolved.limiter.policy.prefix).toBe('api:');
    expect(resolved.limiter.limits[0]?.intervalMs).toBe(60_000);
    expect(resolved).toMatchObject({ cost: 1, ipv6Subnet: 56, headers: 'draft-8', statusCode: 429, warnings: true });
    expect(resolved.allowRanges).toBeUndefined();
  });
  it('uses a ready limiter as it is', () => {
    const limiter = new RateLimiter(limit);
    expect(resolveHttpOptions({ limiter }).limiter).toBe(limiter);
  });
  it('parses allowList entries once into a set, or keeps a function', () => {
    expect(resolveHttpOptions({ ...limit, allowList: ['10.0.0.0/8'] }).allowRanges?.has('10.1.1.1')).toBe(true);
    const fn = () => true;
    expect(resolveHttpOptions({ ...limit, allowList: fn }).allowFunction).toBe(fn);
  });

  it.each([
    [{ ...limit, capasity: 3 }, /`capasity` is not a known option \(did you mean `capacity`\?\)/],
    [{ limiter: new RateLimiter(limit), capacity: 3 }, /`capacity` cannot be combined with `limiter`/],
    [{ limiter: { consume() {} } }, /`limiter` must be a RateLimiter/],
    [{ headers: 'draft-8' }, /`limiter` or the limit options .* must be given/],
    [{ ...limit, capacity: -1 }, /`capacity` must be a positive, finite number/],
    [{ ...limit, key: 'ip' }, /`key` must be a function; got "ip"/],
    [{ ...limit, skip: true }, /`skip` must be a function/],
    [{ ...limit, onLimited: {} }, /`onLimited` must be a function/],
    [{ ...limit, onDecision: 1 }, /`onDecision` must be a function/],
    [{ ...limit, cost: -1 }, /`cost` must be a finite number ≥ 0 or a function/],
    [{ ...limit, cost: 6 }, /`cost` must be at most the capacity/],
    [{ ...limit, allowList: '10.0.0.1' }, /`allowList` must be an array/],
    [{ ...limit, allowList: ['10.0.0.1', '10.0.0.300'] }, /`allowList\[1\]` must be an IP or a CIDR range/],
    [{ ...limit, ipv6Subnet: 0 }, /`ipv6Subnet` must be a prefix length from 1 to 128, or false; got 0/],
    [{ ...limit, ipv6Subnet: 56.5 }, /`ipv6Subnet`/],
    [
      { ...limit, headers: 'draft-9' },
      /`headers` must be 'draft-8', 'draft-7', 'draft-6', 'legacy', 'both', false, or an array .*; got "draft-9"/,
    ],
    [{ ...limit, headers: true }, /`headers`/],
    [{ ...limit, statusCode: 200 }, /`statusCode` must be an HTTP error status from 400 to 599; got 200/],
    [{ ...limit, message: 42 }, /`message` must be a string, an object/],
    [{ ...limit, warnings: 'no' }, /`warnings` must be true or false/],
    [null, /`options` must be an object/],
  ])('rejects %o', (options, message) => {
    expect(() => resolveHttpOptions(options)).toThrow(SluiceConfigError);
    expect(() => resolveHttpOptions(options)).toThrow(message);
  });

  it('accepts adapter-specific names only when the adapter declares them', () => {
    expect(() => resolveHttpOptions({ ...limit, hook: 'preHandler' })).toThrow(/`hook` is not a known option/);
    expect(() => resolveHttpOptions({ ...limit, hook: 'preHandler' }, ['hook'])).not.toThrow();
  });
});
