/**
 * bench:http:inprocess measures what it says: every arm of both frameworks is served by one process,
 * each request is filed under its arm and ends inside the timed listener call or the microtasks it
 * queued (the peers), the limited arms send their headers and the others do not; and the per-round
 * statistics compare arms within a round, and sluice with the peers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Framework } from '../bench/http/contenders.js';
import { ALL_ARMS, ARM_HEADER, armPath, armsByIds, armsOn, KEY_HEADER, RATE_LIMIT_HEADER_NAMES } from '../bench/inprocess/arms.js';
import type { FrameworkResult, InProcessResult } from '../bench/inprocess/bench.js';
import { type ArmRound, armFigures, armRound } from '../bench/inprocess/figures.js';
import { inProcessTargetChecks, peerLine } from '../bench/inprocess/report.js';
import { MAX_HOPS, RequestTimer } from '../bench/inprocess/requestTimer.js';
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

  it('holds each judged sluice arm against the peer of its key scenario, each over its own baseline, per round', () => {
    const rounds = (peerBase: 'bare' | 'peer-bare', peer: string, peerNewKey: string) =>
      new Map<string, ArmRound[]>([
        ['bare', [round([10]), round([30]), round([10])]],
        ['headers-only', [round([12]), round([32]), round([12])]],
        ['async-empty', [round([11]), round([31]), round([11])]],
        ...(peerBase === 'peer-bare' ? [['peer-bare', [round([20]), round([40]), round([20])]] as [string, ArmRound[]]] : []),
        ['sluice', [round([13]), round([34]), round([13])]],
        ['sluice-newkey', [round([20]), round([40]), round([20])]],
        [peer, [round([peerBase === 'bare' ? 15 : 25]), round([peerBase === 'bare' ? 35 : 45]), round([peerBase === 'bare' ? 12 : 22])]],
        [
          peerNewKey,
          [round([peerBase === 'bare' ? 18 : 28]), round([peerBase === 'bare' ? 38 : 48]), round([peerBase === 'bare' ? 18 : 28])],
        ],
      ]);
    const group = (framework: Framework, arms: Map<string, ArmRound[]>): FrameworkResult => ({
      framework,
      requestsPerSec: { median: 1, min: 1, max: 1 },
      clientErrors: 0,
      clientNon2xx: 0,
      unknownArm: 0,
      arms: armFigures(arms as Map<never, ArmRound[]>, 'bare'),
    });
    const result = {
      options: { quick: false },
      frameworks: [
        group('express', rounds('bare', 'express-rate-limit', 'express-rate-limit-newkey')),
        group('fastify', rounds('peer-bare', 'fastify-rate-limit', 'fastify-rate-limit-newkey')),
      ],
    } as unknown as InProcessResult;
    const checks = inProcessTargetChecks(result);
    // Sluice adds 3, 4, 3 (one client) and 10 (new key); the peer 5, 5, 2 and 8 over its own baseline.
    expect(
      checks.map((check) => [
        check.framework,
        check.arm.id,
        check.peer?.arm.id,
        check.peer?.addedUs.median,
        check.peer?.sluiceMinusPeerUs,
        check.peer?.met,
      ]),
    ).toEqual([
      ['express', 'sluice', 'express-rate-limit', 5, { median: -1, min: -2, max: 1 }, true],
      ['express', 'sluice-newkey', 'express-rate-limit-newkey', 8, { median: 2, min: 2, max: 2 }, false],
      ['fastify', 'sluice', 'fastify-rate-limit', 5, { median: -1, min: -2, max: 1 }, true],
      ['fastify', 'sluice-newkey', 'fastify-rate-limit-newkey', 8, { median: 2, min: 2, max: 2 }, false],
    ]);
    expect(checks[0]?.peer?.asyncControlUs?.median).toBe(1);
    expect(checks[0]?.peer?.beyondControlUs).toEqual({ median: 4, min: 1, max: 4 });
    expect(peerLine(checks[0] as (typeof checks)[number])).toMatch(/express-rate-limit \+5\.00 µs over bare; sluice ≤ peer: met/);
    expect(peerLine(checks[3] as (typeof checks)[number])).toMatch(/over the bare arm of its own instance; sluice ≤ peer: MISSED/);
  });

  it('always runs the baseline, and rejects an unknown arm', () => {
    expect(armsByIds(['sluice']).map((arm) => arm.id)).toEqual(['bare', 'sluice']);
    expect(() => armsByIds(['slice'])).toThrow(/unknown arm "slice"/);
  });
});

/** A request of `arm` and its response, as the timer sees them: the response ends when `end` is called. */
function fakeRequest(arm: string): { req: IncomingMessage; res: ServerResponse; end: () => void } {
  const res = { writableEnded: false, statusCode: 200, _header: 'HTTP/1.1 200 OK\r\n\r\n' };
  return {
    req: { headers: { [ARM_HEADER]: arm } } as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
    end: () => {
      res.writableEnded = true;
    },
  };
}

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

describe('bench:http:inprocess request timer', () => {
  const arms = armsByIds(['async-empty']);

  it('follows a response that ends in the microtasks the listener queued, and times the whole chain', async () => {
    const timer = new RequestTimer(arms, 'wall');
    const { req, res, end } = fakeRequest('async-empty');
    timer.wrap(() => {
      // Three hops, then 2 ms of work, then the end: all of it belongs to this request.
      Promise.resolve()
        .then(() => undefined)
        .then(() => {
          const until = performance.now() + 2;
          while (performance.now() < until) {}
          end();
        });
    })(req, res);
    await nextMacrotask();
    const recording = timer.take().arms.find((one) => one.id === 'async-empty');
    expect({ requests: recording?.times.length, unfinished: recording?.unfinished }).toEqual({ requests: 1, unfinished: 0 });
    expect(recording?.times[0]).toBeGreaterThanOrEqual(2e6);
  });

  it('counts a response that never ends, or ends only after the microtasks (setImmediate), as unfinished', async () => {
    const timer = new RequestTimer(arms, 'cpu');
    const never = fakeRequest('async-empty');
    const later = fakeRequest('async-empty');
    timer.wrap(() => {})(never.req, never.res);
    timer.wrap(() => setImmediate(later.end))(later.req, later.res);
    await nextMacrotask();
    await nextMacrotask();
    const recording = timer.take().arms.find((one) => one.id === 'async-empty');
    expect({ requests: recording?.times.length, unfinished: recording?.unfinished }).toEqual({ requests: 2, unfinished: 2 });
    expect(MAX_HOPS).toBe(10_000);
  });

  it('checks the header each arm expects: its own where it has one, none at all where it has none', async () => {
    const timer = new RequestTimer(armsByIds(['sluice', 'fastify-rate-limit']), 'wall');
    const sent = (arm: string, head: string) => {
      const request = fakeRequest(arm);
      (request.res as unknown as { _header: string })._header = `HTTP/1.1 200 OK\r\n${head}\r\n\r\n`;
      timer.wrap(() => request.end())(request.req, request.res);
    };
    sent('bare', 'content-length: 2');
    sent('bare', 'x-ratelimit-limit: 5');
    sent('sluice', 'RateLimit: "default";r=1;t=0');
    sent('sluice', 'x-ratelimit-limit: 5');
    sent('fastify-rate-limit', 'x-ratelimit-limit: 5');
    sent('fastify-rate-limit', 'ratelimit: "default";r=1;t=0');
    const mismatches = Object.fromEntries(timer.take().arms.map((one) => [one.id, one.headerMismatches]));
    expect(mismatches).toEqual({ bare: 1, sluice: 1, 'fastify-rate-limit': 1 });
  });
});

describe.each(['express', 'fastify'] as const)('bench:http:inprocess %s server', (framework: Framework) => {
  let server: ArmServer;
  const served = armsOn(framework, ALL_ARMS);
  beforeAll(async () => {
    server = await ArmServer.fork(framework, { arms: ALL_ARMS.map((arm) => arm.id) });
  }, 30_000);
  afterAll(() => server?.stop());

  it('files each request under its arm, ended inside the timed call or its microtasks, with the header of its limiter', async () => {
    for (const arm of served) {
      const response = await fetch(`http://127.0.0.1:${server.port}${armPath(arm, framework)}`, {
        headers: { [ARM_HEADER]: arm.id, [KEY_HEADER]: `test-${Date.now()}-${arm.id}` },
      });
      expect(await response.text()).toBe('ok');
      const sent = RATE_LIMIT_HEADER_NAMES.filter((name) => response.headers.has(name));
      expect(sent, arm.id).toEqual(arm.expectedHeader === null ? [] : [arm.expectedHeader]);
    }
    const { arms, unknownArm } = await server.take();
    expect(unknownArm).toBe(0);
    expect(arms.map((recording) => recording.id)).toEqual(served.map((arm) => arm.id));
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
