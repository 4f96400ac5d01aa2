import { describe, expect, it, vi } from 'vitest';
import { compileBand } from '../../src/core/gcra.js';
import { policyHeader, RateLimitHeaders, restoreSeconds, toSeconds } from '../../src/http/headers.js';
import { RateLimiter } from '../../src/index.js';

function collect(headers: RateLimitHeaders, decision: Parameters<RateLimitHeaders['write']>[1]): Record<string, string> {
  const out: Record<string, string> = {};
  headers.write(out, decision, (res, name, value) => {
    res[name] = value;
  });
  return out;
}

function limiterAt(options: Record<string, unknown>) {
  const clock = { now: 1_000_000 };
  const limiter = new RateLimiter({ clock: () => clock.now, ...options } as never);
  return { limiter, clock };
}

describe('RateLimit-Policy (draft-08 syntax)', () => {
  it('has q = capacity and w = seconds to refill from empty, rounded up', () => {
    expect(policyHeader([compileBand(20, 100, 60_000)])).toBe('"default";q=20;w=12');
    expect(policyHeader([compileBand(5, 2, 1000)])).toBe('"default";q=5;w=3'); // 2.5 s → 3
    expect(policyHeader([compileBand(100, 100, 60_000, 'burst')])).toBe('"burst";q=100;w=60');
  });
  it('has one item per band, named or numbered', () => {
    const bands = [compileBand(10, 10, 1000, 'second'), compileBand(1000, 1000, 86_400_000)];
    expect(policyHeader(bands)).toBe('"second";q=10;w=1, "band-2";q=1000;w=86400');
  });
});

describe('RateLimit per response', () => {
  it('counts down r with t = 0 while tokens are left, then t = seconds to the next token', () => {
    const { limiter } = limiterAt({ capacity: 3, refillRate: 1, interval: '2s' });
    const headers = new RateLimitHeaders(limiter.limits, 'draft-8');
    const seen = [1, 2, 3].map(() => collect(headers, limiter.consumeSync('k')));
    expect(seen.map((h) => h.RateLimit)).toEqual(['"default";r=2;t=0', '"default";r=1;t=0', '"default";r=0;t=2']);
    expect(seen[0]).toEqual({ 'RateLimit-Policy': '"default";q=3;w=6', RateLimit: '"default";r=2;t=0' });
  });
  it('on a refusal: t = Retry-After = seconds until cost tokens are back, rounded up', () => {
    const { limiter, clock } = limiterAt({ capacity: 10, refillRate: 1, interval: '1s' });
    const headers = new RateLimitHeaders(limiter.limits, 'draft-8');
    limiter.consumeSync('k', 10);
    clock.now += 300;
    const denied = limiter.consumeSync('k', 3); // 0.3 tokens: 2.7 s until 3
    expect(denied.retryAfterMs).toBe(2700);
    expect(collect(headers, denied)).toEqual({
      'RateLimit-Policy': '"default";q=10;w=10',
      RateLimit: '"default";r=0;t=3',
      'Retry-After': '3',
    });
  });
  it('emits one item per band', () => {
    const { limiter } = limiterAt({
      limits: [
        { capacity: 2, refillRate: 2, interval: '1s', name: 'burst' },
        { capacity: 100, refillRate: 100, interval: '1h', name: 'hourly' },
      ],
    });
    const headers = new RateLimitHeaders(limiter.limits, 'draft-8');
    expect(headers.policy).toBe('"burst";q=2;w=1, "hourly";q=100;w=3600');
    limiter.consumeSync('k');
    expect(collect(headers, limiter.consumeSync('k')).RateLimit).toBe('"burst";r=0;t=1, "hourly";r=98;t=0');
    const denied = collect(headers, limiter.consumeSync('k'));
    expect(denied.RateLimit).toBe('"burst";r=0;t=1, "hourly";r=98;t=0');
    expect(denied['Retry-After']).toBe('1');
  });
  it('describes a degraded multi-band answer with one item', () => {
    const headers = new RateLimitHeaders([compileBand(2, 2, 1000, 'a'), compileBand(9, 9, 1000, 'b')], 'draft-8');
    const degraded = {
      allowed: true,
      limit: 2,
      remaining: 1,
      retryAfterMs: 0,
      resetMs: 0,
      degraded: true,
      blocked: false,
      bands: undefined,
    };
    expect(collect(headers, degraded).RateLimit).toBe('"a";r=1;t=0');
  });
});

describe('a decision with another band count than the headers', () => {
  it('(a fallback limiter with other limits) is described by the band it reports, as one item', () => {
    const { limiter } = limiterAt({
      limits: [
        { capacity: 2, refillRate: 2, interval: '1s', name: 'burst' },
        { capacity: 100, refillRate: 100, interval: '1h', name: 'hourly' },
      ],
    });
    const { limiter: fallback } = limiterAt({
      limits: [
        { capacity: 5, refillRate: 5, interval: '1s', name: 'x' },
        { capacity: 6, refillRate: 6, interval: '1s', name: 'y' },
        { capacity: 7, refillRate: 7, interval: '1s', name: 'z' },
      ],
    });
    const headers = new RateLimitHeaders(limiter.limits, 'draft-8');
    const decision = fallback.consumeSync('k');
    expect(decision.bands).toHaveLength(3);
    expect(collect(headers, decision)).toEqual({
      'RateLimit-Policy': '"burst";q=2;w=1, "hourly";q=100;w=3600',
      RateLimit: '"burst";r=4;t=0',
    });
  });
});

describe('readHeadersMode', () => {
  /** headersMode.ts as imported now: its list of formats and its message are built when the module loads. */
  async function freshHeadersMode() {
    vi.resetModules();
    return import('../../src/http/headersMode.js');
  }

  it("reads each format, 'both', false and an array of formats; 'draft-8' when not given", async () => {
    const { readHeadersMode } = await freshHeadersMode();
    for (const mode of ['draft-6', 'draft-7', 'draft-8', 'legacy', 'both', false] as const) expect(readHeadersMode(mode)).toBe(mode);
    expect(readHeadersMode()).toBe('draft-8');
    expect(readHeadersMode(undefined, 'plugin.headers')).toBe('draft-8');
    const given = ['draft-6', 'legacy'];
    const read = readHeadersMode(given);
    expect(read).toEqual(['draft-6', 'legacy']);
    expect(read).not.toBe(given);
    expect(Object.isFrozen(read)).toBe(true);
    expect(readHeadersMode([])).toEqual([]);
  });

  it('refuses anything else, naming the option (or the array item) and the choices', async () => {
    const { readHeadersMode } = await freshHeadersMode();
    const choices = "must be 'draft-8', 'draft-7', 'draft-6', 'legacy', 'both', false, or an array such as ['draft-7', 'legacy']";
    for (const value of ['draft-9', 'Draft-8', '', true, null, 8, { draft: 'draft-8' }]) {
      expect(() => readHeadersMode(value), String(value)).toThrow(`\`headers\` ${choices}`);
    }
    expect(() => readHeadersMode('x', 'plugin.headers')).toThrow(`\`plugin.headers\` ${choices}`);
    expect(() => readHeadersMode(['legacy', 'draft-9'])).toThrow(
      '`headers[1]` must be one of draft-6, draft-7, draft-8, legacy; got "draft-9"',
    );
    expect(() => readHeadersMode(['both'])).toThrow('`headers[0]` must be one of draft-6, draft-7, draft-8, legacy');
    expect(() => readHeadersMode(['draft-7', 'draft-8'])).toThrow('may name one draft at most');
  });
});

describe('legacy and other modes', () => {
  it('legacy: X-RateLimit-Limit/-Remaining/-Reset (seconds from now until full)', () => {
    const { limiter } = limiterAt({ capacity: 4, refillRate: 1, interval: '1s' });
    const headers = new RateLimitHeaders(limiter.limits, 'legacy');
    limiter.consumeSync('k', 2);
    expect(collect(headers, limiter.consumeSync('k'))).toEqual({
      'X-RateLimit-Limit': '4',
      'X-RateLimit-Remaining': '1',
      'X-RateLimit-Reset': '3',
    });
  });
  it('both: the draft and the legacy headers', () => {
    const { limiter } = limiterAt({ capacity: 4, refillRate: 1, interval: '1s' });
    expect(Object.keys(collect(new RateLimitHeaders(limiter.limits, 'both'), limiter.consumeSync('k'))).sort()).toEqual([
      'RateLimit',
      'RateLimit-Policy',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ]);
  });
  it('false: nothing, except Retry-After on a refusal', () => {
    const { limiter } = limiterAt({ capacity: 1, refillRate: 1, interval: '1s' });
    const headers = new RateLimitHeaders(limiter.limits, false);
    expect(collect(headers, limiter.consumeSync('k'))).toEqual({});
    expect(collect(headers, limiter.consumeSync('k'))).toEqual({ 'Retry-After': '1' });
  });
});

describe('lower-case header names (for a framework that lowercases them itself)', () => {
  // Every mode and a refusal: each header any mode writes, named as the mixed-case one, only in lower case.
  it.each(['draft-6', 'draft-7', 'draft-8', 'legacy', 'both'] as const)('%s: the same headers and values, names in lower case', (mode) => {
    const { limiter } = limiterAt({ capacity: 1, refillRate: 1, interval: '1s' });
    const decisions = [limiter.consumeSync('k'), limiter.consumeSync('k')]; // allowed, then refused
    for (const decision of decisions) {
      const mixed = collect(new RateLimitHeaders(limiter.limits, mode), decision);
      const lower = collect(new RateLimitHeaders(limiter.limits, mode, true), decision);
      expect(lower).toEqual(Object.fromEntries(Object.entries(mixed).map(([name, value]) => [name.toLowerCase(), value])));
      expect(Object.keys(lower).length).toBeGreaterThan(decision.allowed ? 0 : 1);
    }
  });
  it('false: Retry-After alone, in lower case', () => {
    const { limiter } = limiterAt({ capacity: 1, refillRate: 1, interval: '1s' });
    const headers = new RateLimitHeaders(limiter.limits, false, true);
    expect(collect(headers, limiter.consumeSync('k'))).toEqual({});
    expect(collect(headers, limiter.consumeSync('k'))).toEqual({ 'retry-after': '1' });
  });
});

describe('rounding', () => {
  it('rounds seconds up, never to 0 for a positive wait', () => {
    expect(toSeconds(0)).toBe(0);
    expect(toSeconds(1)).toBe(1);
    expect(toSeconds(1000)).toBe(1);
    expect(toSeconds(1001)).toBe(2);
  });
  it('t for an empty bucket is the time to the next token, not to full', () => {
    const band = compileBand(10, 1, 1000);
    // Empty after the call: full in 10 s, the next token in 1 s.
    expect(restoreSeconds(band, { remaining: 0, retryAfterMs: 0, resetMs: 10_000 }, true)).toBe(1);
    expect(restoreSeconds(band, { remaining: 0, retryAfterMs: 0, resetMs: 9_500 }, true)).toBe(1);
    expect(restoreSeconds(band, { remaining: 1, retryAfterMs: 0, resetMs: 9_000 }, true)).toBe(0);
    expect(restoreSeconds(band, { remaining: 0, retryAfterMs: 4_001, resetMs: 10_000 }, false)).toBe(5);
  });
});
