/**
 * bench:http:inprocess measures what it says: every arm of both frameworks is served by one process,
 * each request is filed under its arm and ends inside the timed listener call, the sluice arms send
 * their headers and the others do not; and the per-round statistics compare arms within a round.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Framework } from '../bench/http/contenders.js';
import { ALL_ARMS, ARM_HEADER, armPath, armsByIds, KEY_HEADER } from '../bench/inprocess/arms.js';
import type { FrameworkResult, InProcessResult } from '../bench/inprocess/bench.js';
import { type ArmRound, armFigures, armRound } from '../bench/inprocess/figures.js';
import { inProcessTargetChecks } from '../bench/inprocess/report.js';
import { ArmServer } from '../bench/inprocess/serverHandle.js';

const counts = { unfinished: 0, non2xx: 0, headerMismatches: 0 };
/** A round whose per-request times are `us` (µs), as the server records them (ns). */
const round = (us: readonly number[]) =>
  armRound(
    Float64Array.from(us, (value) => value * 1000),
    counts,
  );

describe('bench:http:inprocess statistics', () => {
  it('gives the median, p99 and a mean with 1% cut at each end', () => {
    // 200 requests: 2 are cut at each end, so the two 1000 µs outliers do not move the trimmed mean.
    const times = [...Array.from({ length: 198 }, () => 10), 1000, 1000];
    const figures = round(times);
    expect(figures.count).toBe(200);
    expect(figures.median).toBe(10);
    expect(figures.trimmedMean).toBe(10);
    expect(figures.mean).toBeCloseTo(19.9, 10);
    expect(figures.p99).toBe(1000);
    expect(round([1, 2, 3, 4]).median).toBe(2.5);
  });

  it('compares each arm with the baseline of the same round, then takes the median over rounds', () => {
    // Round 1 ran on a machine twice as slow: the per-round differences stay small although raw figures swing.
    const rounds = new Map<'bare' | 'sluice', ArmRound[]>([
      ['bare', [round([10, 10]), round([20, 20]), round([10, 10])]],
      ['sluice', [round([11, 11]), round([22, 22]), round([12, 12])]],
    ]);
    const [bare, sluice] = armFigures(rounds, 'bare');
    expect(bare?.addedTrimmedMean).toEqual({ median: 0, min: 0, max: 0 });
    expect(sluice?.addedTrimmedMean).toEqual({ median: 2, min: 1, max: 2 });
    expect(sluice?.addedMedian.median).toBe(2);
    expect(sluice?.trimmedMean).toEqual({ median: 12, min: 11, max: 22 });
    expect(sluice?.count).toBe(6);
  });

  it('judges a sluice arm on its distance from the headers-only arm of the same round (Express 3 µs, Fastify 1 µs)', () => {
    // Round 2 is slow for every arm: the per-round distances (4, 2, 4 µs) stay small.
    const rounds = new Map<'bare' | 'bare2' | 'headers-only' | 'sluice', ArmRound[]>([
      ['bare', [round([10]), round([30]), round([10])]],
      ['bare2', [round([10]), round([30]), round([10])]],
      ['headers-only', [round([15]), round([40]), round([15])]],
      ['sluice', [round([19]), round([42]), round([19])]],
    ]);
    const group = (framework: Framework): FrameworkResult => ({
      framework,
      requestsPerSec: { median: 1, min: 1, max: 1 },
      clientErrors: 0,
      clientNon2xx: 0,
      unknownArm: 0,
      arms: armFigures(rounds, 'bare'),
    });
    const result = { options: { quick: false }, frameworks: [group('express'), group('fastify')] } as unknown as InProcessResult;
    const checks = inProcessTargetChecks(result);
    expect(checks.map((check) => [check.framework, check.arm.id, check.beyondHeadersUs.median, check.targetUs, check.met])).toEqual([
      ['express', 'sluice', 4, 3, false],
      ['fastify', 'sluice', 4, 1, false],
    ]);
    expect(checks[0]?.addedUs.median).toBe(9);
    expect(checks[0]?.headersOnlyUs).toBe(5);
  });

  it('always runs the baseline, and rejects an unknown arm', () => {
    expect(armsByIds(['sluice']).map((arm) => arm.id)).toEqual(['bare', 'sluice']);
    expect(() => armsByIds(['slice'])).toThrow(/unknown arm "slice"/);
  });
});

describe.each(['express', 'fastify'] as const)('bench:http:inprocess %s server', (framework: Framework) => {
  let server: ArmServer;
  beforeAll(async () => {
    server = await ArmServer.fork(framework, { arms: ALL_ARMS.map((arm) => arm.id) });
  }, 30_000);
  afterAll(() => server?.stop());

  it('files each request under its arm, ended inside the timed call, with the RateLimit header where sluice runs', async () => {
    for (const arm of ALL_ARMS) {
      const response = await fetch(`http://127.0.0.1:${server.port}${armPath(arm, framework)}`, {
        headers: { [ARM_HEADER]: arm.id, [KEY_HEADER]: `test-${Date.now()}-${arm.id}` },
      });
      expect(await response.text()).toBe('ok');
      expect(response.headers.has('ratelimit'), arm.id).toBe(arm.rateLimitHeader);
    }
    const { arms, unknownArm } = await server.take();
    expect(unknownArm).toBe(0);
    expect(arms.map((recording) => recording.id)).toEqual(ALL_ARMS.map((arm) => arm.id));
    for (const recording of arms) {
      const { id, times, unfinished, non2xx, headerMismatches } = recording;
      expect({ id, requests: times.length, unfinished, non2xx, headerMismatches }).toEqual({ id, requests: 1, ...counts });
      expect(times[0]).toBeGreaterThan(0);
    }
    // take() starts afresh.
    expect((await server.take()).arms.every((recording) => recording.times.length === 0)).toBe(true);
  });

  it('counts the requests of no known arm, and flags a new-key request without its key', async () => {
    const sluice = ALL_ARMS.find((arm) => arm.id === 'sluice-newkey');
    if (sluice === undefined) throw new Error('no sluice-newkey arm');
    await (await fetch(`http://127.0.0.1:${server.port}${armPath(sluice, framework)}`, { headers: { [ARM_HEADER]: 'nope' } })).text();
    await (await fetch(`http://127.0.0.1:${server.port}${armPath(sluice, framework)}`, { headers: { [ARM_HEADER]: sluice.id } })).text();
    const { arms, unknownArm } = await server.take();
    expect(unknownArm).toBe(1);
    // Express hands the error on through setImmediate (not ended in the call), Fastify answers 500 at once.
    const flagged = arms.find((recording) => recording.id === sluice.id);
    expect((flagged?.unfinished ?? 0) + (flagged?.non2xx ?? 0)).toBe(1);
  });
});

describe('bench:http:inprocess --clock cpu', () => {
  it("records each request's process CPU time, in whole µs", async () => {
    const server = await ArmServer.fork('fastify', { arms: ['sluice'], clock: 'cpu' });
    try {
      for (let i = 0; i < 20; i++) {
        await (await fetch(`http://127.0.0.1:${server.port}/d`, { headers: { [ARM_HEADER]: 'sluice' } })).text();
      }
      const sluice = (await server.take()).arms.find((recording) => recording.id === 'sluice');
      expect(sluice?.times.length).toBe(20);
      const times = Array.from(sluice?.times ?? []);
      expect(times.every((ns) => ns % 1000 === 0)).toBe(true);
      expect(times.some((ns) => ns > 0)).toBe(true);
    } finally {
      await server.stop();
    }
  }, 30_000);
});
