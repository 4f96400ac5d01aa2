/** The `http-inprocess` section of bench/RESULTS.md, and its target checks, from a bench:http:inprocess result. */
import { versionList } from '../lib/environment.js';
import { fixed, markdownTable, signed, statRange } from '../lib/markdown.js';
import { type Stat, stat } from '../lib/stats.js';
import { type Arm, armById, armLabel } from './arms.js';
import type { FrameworkResult, InProcessResult } from './bench.js';
import { type ArmFigures, TRIM } from './figures.js';

/**
 * µs sluice may add per request beyond the headers-only arm (the two headers set by an empty middleware or
 * hook, no limiter) in the same run: what the framework charges for headers is a floor under any limiter
 * that sends them, and differs by machine, so the target is the distance from it.
 */
export const TARGET_BEYOND_HEADERS_US: Readonly<Record<string, number>> = { express: 3, fastify: 1 };

export interface InProcessTargetCheck {
  readonly framework: string;
  readonly arm: Arm;
  /** Over rounds, (arm − bare) of the per-round trimmed means, µs per request. */
  readonly addedUs: Stat;
  /** Over rounds, (arm − headers-only) of the per-round trimmed means: the median is judged. */
  readonly beyondHeadersUs: Stat;
  readonly targetUs: number;
  /** Every request of the arm ended inside the listener call, with a 2xx and the RateLimit header. */
  readonly valid: boolean;
  /** A smoke run (`--quick`): its figures are meaningless, so it gets no verdict. */
  readonly smoke: boolean;
  readonly met: boolean;
  /** The A/A figure beside it: bare2 − bare, measured the same way. */
  readonly aaUs: number;
  /** What the two headers alone (no limiter) add over bare in the same run, when that arm ran. */
  readonly headersOnlyUs: number;
  /**
   * Over rounds, (floor limiter − headers-only) for the floor-limiter arm of the same key scenario: the least
   * a hand-written limiter adds beyond the headers (undefined when that arm did not run).
   */
  readonly floorBeyondHeadersUs: Stat | undefined;
  /** Over rounds, (arm − floor limiter): what sluice adds beyond the hand-written floor. */
  readonly beyondFloorUs: Stat | undefined;
}

/** Per round, `arm − other` of the trimmed means, over the rounds both ran. */
function perRoundDifference(arm: ArmFigures, other: ArmFigures): Stat {
  return stat(
    arm.rounds.flatMap((round, i) => {
      const base = other.rounds[i];
      return base === undefined ? [] : [round.trimmedMean - base.trimmedMean];
    }),
  );
}

const frameworkName = (framework: string) => (framework === 'express' ? 'Express' : 'Fastify');

const isClean = (figures: ArmFigures) => figures.unfinished + figures.non2xx + figures.headerMismatches === 0;

export function inProcessTargetChecks(result: InProcessResult): InProcessTargetCheck[] {
  return result.frameworks.flatMap((group) => {
    const aa = group.arms.find((figures) => armById(figures.id)?.role === 'aa');
    const headersOnly = group.arms.find((figures) => figures.id === 'headers-only');
    return group.arms.flatMap((figures) => {
      const arm = armById(figures.id);
      if (arm?.role !== 'judged' || headersOnly === undefined) return [];
      const valid = isClean(figures) && figures.count > 0;
      const targetUs = TARGET_BEYOND_HEADERS_US[group.framework] ?? 0;
      const beyondHeadersUs = perRoundDifference(figures, headersOnly);
      const floor = group.arms.find((other) => {
        const floorArm = armById(other.id);
        return floorArm?.role === 'floor-limiter' && floorArm.newKey === arm.newKey;
      });
      const check: InProcessTargetCheck = {
        framework: group.framework,
        arm,
        addedUs: figures.addedTrimmedMean,
        beyondHeadersUs,
        targetUs,
        valid,
        smoke: result.options.quick,
        met: valid && beyondHeadersUs.median <= targetUs,
        aaUs: aa?.addedTrimmedMean.median ?? Number.NaN,
        headersOnlyUs: headersOnly?.addedTrimmedMean.median ?? Number.NaN,
        floorBeyondHeadersUs: floor === undefined ? undefined : perRoundDifference(floor, headersOnly),
        beyondFloorUs: floor === undefined ? undefined : perRoundDifference(figures, floor),
      };
      return [check];
    });
  });
}

/** The one-line verdict, as printed and as written to RESULTS.md. */
export function targetLine(check: InProcessTargetCheck): string {
  const what = check.arm.newKey ? 'a new key per request' : 'one client';
  const verdict = !check.valid
    ? 'NOT MEASURED (requests not finished in the call, refused or without headers)'
    : check.smoke
      ? 'no verdict (smoke run)'
      : check.met
        ? 'met'
        : 'MISSED';
  return (
    `${frameworkName(check.framework)}, ${what}: sluice (memory) adds ${signed(check.beyondHeadersUs.median, 2)} µs per request ` +
    `beyond the two headers alone (≤ ${check.targetUs}): ${verdict} · over rounds ${fixed(check.beyondHeadersUs.min, 2)} … ` +
    `${fixed(check.beyondHeadersUs.max, 2)}; over bare ${signed(check.addedUs.median, 2)} µs, the two headers alone ` +
    `${signed(check.headersOnlyUs, 2)} µs; A/A (bare2 − bare) ${signed(check.aaUs, 2)} µs` +
    (check.floorBeyondHeadersUs === undefined || check.beyondFloorUs === undefined
      ? ''
      : `; the hand-written floor limiter adds ${signed(check.floorBeyondHeadersUs.median, 2)} µs beyond the two headers, ` +
        `sluice ${signed(check.beyondFloorUs.median, 2)} µs beyond that floor (over rounds ${fixed(check.beyondFloorUs.min, 2)} … ` +
        `${fixed(check.beyondFloorUs.max, 2)})`)
  );
}

function frameworkTable(group: FrameworkResult): string {
  const rows = group.arms.flatMap((figures) => {
    const arm = armById(figures.id);
    if (arm === undefined) return [];
    const isBase = arm.role === 'baseline';
    return [
      [
        armLabel(arm, group.framework),
        String(figures.count),
        statRange(figures.median, 2),
        statRange(figures.trimmedMean, 2),
        fixed(figures.p99.median, 1),
        isBase ? '0' : statRange(figures.addedTrimmedMean, 2, signed),
        isBase ? '0' : statRange(figures.addedMedian, 2, signed),
        `${figures.unfinished} / ${figures.non2xx} / ${figures.headerMismatches}`,
      ],
    ];
  });
  return markdownTable(
    [
      'Arm',
      'Requests',
      'Median µs',
      'Trimmed mean µs',
      'p99 µs',
      'Added vs bare µs (trimmed mean)',
      'Added vs bare µs (median)',
      'Not ended in call / non-2xx / header wrong',
    ],
    rows,
  );
}

const METHOD =
  'A second, precise measurement of what sluice adds per request, beside the process CPU figures of `npm run bench:http` ' +
  '(whose A/A noise on Express is far above 2 µs). Per framework ONE server process serves every arm, and its request ' +
  'listener is timed with `process.hrtime.bigint()` from entry to exit: with synchronous handlers the whole request runs ' +
  'in that call (routing, limiter, handler, `writeHead` and the socket write), which is checked on every request (last ' +
  'column). Express: one app per arm, the limiter mounted with `app.use()`, the app picked by an `x-arm` header (the apps ' +
  'share one request/response prototype, as a single-app server has). Fastify: one instance, the sluice plugin registered ' +
  'once, one static route per arm (`/a`, `/b`, ...), the other arms exempt with `config.rateLimit: false`. Arms: bare, an ' +
  'identical copy (A/A: its distance from bare is the noise floor), an empty middleware / `onRequest` hook (what the ' +
  'framework charges any limiter), and sluice on its default memory store, default key (client IP) and draft-8 headers, ' +
  'with limits of 10^9 (one client) and of 100/min keyed on an `x-bench-key` header that is new on every request (new key; ' +
  'its own store). autocannon ({connections} connections, from the orchestrator process) deals the requests to the arms ' +
  'in random order, request by request, so every arm sees the same moments of machine noise: {rounds} rounds of ' +
  '{roundMs} ms after {warmupMs} ms of warm-up per framework. Per round and arm: median and {trim}%-trimmed mean ({trim}% ' +
  'cut at each end: GC pauses and preemptions) of the per-request times; "added" is arm − bare in the same round, given ' +
  'as the median over rounds (min … max). Times are wall-clock inside the call: on a shared machine a preemption ' +
  'lands on a random request of any arm. Not in these figures: HTTP parsing before the listener (the same for every arm, ' +
  'bar the new-key header), the memory store’s once-a-minute sweep timer, the clock reads themselves (about 0.1 µs, the ' +
  'same for every arm). The peers are not timed here: express-rate-limit and @fastify/rate-limit answer asynchronously, ' +
  'after the listener returned.';

export function inProcessMarkdown(result: InProcessResult, command: string): string {
  const { options } = result;
  const method = METHOD.replace('{connections}', String(options.connections))
    .replace('{rounds}', String(options.rounds))
    .replace('{roundMs}', String(options.roundMs))
    .replace('{warmupMs}', String(options.warmupMs))
    .replaceAll('{trim}', String(TRIM * 100));
  const clock =
    options.clock === 'cpu'
      ? " This run timed CPU, not wall-clock (`--clock cpu`): each request's figure is the process' CPU time (user + system, " +
        'µs resolution) during the call, which a preemption does not inflate.'
      : '';
  const versions = versionList(result.versions);
  const lines = [
    '## HTTP overhead inside one server (`npm run bench:http:inprocess`)',
    '',
    `Command: \`${command}\` · ${result.startedAt} · Node ${result.node} · ${result.cores} cores (${result.cpuModel}) · ` +
      `${versions} · ${result.seconds.toFixed(0)} s`,
    '',
    method + clock,
  ];
  for (const group of result.frameworks) {
    const problems = group.clientErrors + group.clientNon2xx + group.unknownArm;
    const warning =
      problems > 0 ? `; ⚠ client errors ${group.clientErrors}, non-2xx ${group.clientNon2xx}, no arm ${group.unknownArm}` : '';
    lines.push(
      '',
      `**${frameworkName(group.framework)}** (${fixed(group.requestsPerSec.median, 0)} req/s over all arms${warning})`,
      '',
      frameworkTable(group),
    );
  }
  const checks = inProcessTargetChecks(result);
  if (checks.length > 0) {
    lines.push(
      '',
      '### Targets: µs sluice (memory) adds per request beyond the headers-only arm, judged on the per-round trimmed-mean difference',
      '',
      ...checks.map((check) => `- ${targetLine(check)}`),
    );
  }
  return lines.join('\n');
}
