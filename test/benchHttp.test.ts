/**
 * bench:http measures what it says: every contender's server process starts, each limiter is really
 * mounted and keys on what the scenario says, and the per-round statistics pair the right slices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpBenchResult } from '../bench/http/bench.js';
import { HTTP_CONTENDERS, KEY_HEADER, LIMITS } from '../bench/http/contenders.js';
import { contenderFigures, type SliceSample } from '../bench/http/figures.js';
import { targetChecks } from '../bench/http/report.js';
import { ContenderServer } from '../bench/http/serverHandle.js';
import { markdownTable } from '../bench/lib/markdown.js';
import { median, rotate } from '../bench/lib/stats.js';
import { redisOptions } from './setup/redisTarget.js';

const sample = (round: number, requests: number, cpuMicros: number, pair = 'x', seconds = 1): SliceSample => ({
  round,
  pair,
  requests,
  seconds,
  cpuMicros,
  p99Ms: 5,
  non2xx: 0,
  errors: 0,
});

describe('bench:http statistics', () => {
  it('pads table columns the way Biome formats markdown', () => {
    expect(markdownTable(['a', 'µs'], [['1 (−1 … +2)', 'x']])).toBe(
      ['| a           | µs  |', '| ----------- | --- |', '| 1 (−1 … +2) | x   |'].join('\n'),
    );
  });

  it('takes the median of odd and even counts', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('rotates the order so that each round starts with another contender', () => {
    expect(rotate(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
  });

  it('compares each slice with the baseline of the same round, then takes the median', () => {
    // Round 1 ran on a machine twice as slow: per-round ratios stay 1.1 although raw figures swing.
    const baseline = [sample(0, 1000, 100_000), sample(1, 500, 100_000), sample(2, 1000, 100_000)];
    const contender = [sample(2, 1000, 110_000), sample(0, 1000, 110_000), sample(1, 500, 110_000)];
    const figures = contenderFigures(contender, baseline);
    expect(figures.cpuRatio.median).toBeCloseTo(1.1, 10);
    expect(figures.addedCpuUs.median).toBeCloseTo(10, 10);
    expect(figures.addedCpuUs.max).toBeCloseTo(20, 10); // round 1: 220 − 200 µs/request
    expect(figures.reqPerSecRatio.median).toBe(1);
    expect(figures.reqPerSec).toEqual({ median: 1000, min: 500, max: 1000 });
  });

  it('pairs a slice only with the bare slice run next to it', () => {
    const baseline = [sample(0, 1000, 100_000, 'other'), sample(0, 1000, 200_000, 'x')];
    expect(contenderFigures([sample(0, 1000, 210_000, 'x')], baseline).addedCpuUs.median).toBeCloseTo(10, 10);
  });

  it("judges sluice on Fastify against @fastify/rate-limit's added CPU in the same run (memory 1×, Redis 0.5×), and nothing else", () => {
    const base = [sample(0, 1000, 100_000), sample(1, 1000, 100_000)];
    const contender = (id: string, cpuMicros: number) => {
      const samples = [sample(0, 1000, cpuMicros, id), sample(1, 1000, cpuMicros, id)];
      const baseline = base.map((slice) => ({ ...slice, pair: id }));
      return { contender: HTTP_CONTENDERS.find((c) => c.id === id), samples, figures: contenderFigures(samples, baseline) };
    };
    const result = {
      groups: [
        {
          framework: 'fastify',
          scenario: 'overhead',
          contenders: [
            contender('fastify-sluice-memory', 103_000),
            contender('fastify-frl-memory', 104_000),
            contender('fastify-sluice-redis', 110_000),
            contender('fastify-frl-redis', 116_000),
          ],
        },
        { framework: 'express', scenario: 'overhead', contenders: [contender('express-sluice-memory', 101_000)] },
      ],
    } as unknown as HttpBenchResult;
    const checks = targetChecks(result).map((check) => [check.contender, check.addedUs.median, check.targetUs, check.met, check.peer]);
    expect(checks).toEqual([
      ['fastify-sluice-memory', 3, 4, true, '1× fastify-frl-memory'],
      ['fastify-sluice-redis', 10, 8, false, '0.5× fastify-frl-redis'],
      // Express has no target here (its whole-server noise hides a limiter's share): no check at all.
    ]);
  });

  it('leaves out slices that served nothing, and rounds the baseline lacks', () => {
    const figures = contenderFigures([sample(0, 0, 5000), sample(1, 100, 20_000)], [sample(0, 100, 10_000)]);
    expect(figures.cpuUsPerRequest.median).toBe(200);
    expect(figures.addedCpuUs.median).toBeNaN();
  });
});

const redis = redisOptions();
const limited = HTTP_CONTENDERS.filter((c) => c.library !== 'bare' && c.library !== 'noop' && (c.store !== 'redis' || redis !== undefined));

describe('bench:http servers', () => {
  const servers = new Map<string, ContenderServer>();
  // Started four at a time: each process takes about a second of CPU to load, and a dozen at once on two busy cores
  // outlast a server's ready timeout.
  beforeAll(async () => {
    for (let i = 0; i < limited.length; i += 4) {
      const batch = limited.slice(i, i + 4);
      const started = await Promise.all(batch.map((c) => ContenderServer.fork(c, redis ? { redisPort: redis.port } : {})));
      for (const server of started) servers.set(server.contender.id, server);
    }
  }, 240_000);
  afterAll(async () => {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  });

  it('runs every limiter contender', () => {
    // Without Redis (locally) only the memory ones run; with CI=true redisOptions() has already thrown.
    expect(limited.length).toBe(redis === undefined ? 9 : 13);
  });

  it.each(limited.map((c) => [c.id, c] as const))(
    '%s: limits per x-bench-key in the newKey app, and answers CPU readings',
    async (_id, contender) => {
      const server = servers.get(contender.id);
      if (server === undefined) throw new Error(`${contender.id} did not start`);
      const url = `http://127.0.0.1:${server.ports.newKey}/`;
      const get = async (key: string) => {
        const response = await fetch(url, { headers: { [KEY_HEADER]: key } });
        await response.text();
        return response;
      };
      const key = `k-${contender.id}-${Date.now()}`;
      // All at once: a token bucket refills while requests go by (one token per 600 ms here).
      const burst = await Promise.all(Array.from({ length: LIMITS.newKey.capacity }, () => get(key)));
      expect(burst.filter((response) => response.status === 200)).toHaveLength(LIMITS.newKey.capacity);
      const beyond = await Promise.all(Array.from({ length: 5 }, () => get(key)));
      expect(beyond.filter((response) => response.status === 429).length).toBeGreaterThan(0);
      // Another key has its own bucket: the limiter keys on the header, not on the (shared) client IP.
      const other = await get(`${key}-other`);
      expect(other.status).toBe(200);
      if (contender.probeHeader) expect(other.headers.has(contender.probeHeader)).toBe(true);

      const overhead = await fetch(`http://127.0.0.1:${server.ports.overhead}/`);
      expect(overhead.status).toBe(200);
      expect(await overhead.text()).toBe('ok');

      const before = await server.cpuMicros();
      expect(before).toBeGreaterThan(0);
      expect(await server.cpuMicros()).toBeGreaterThanOrEqual(before);
    },
    30_000,
  );
});
