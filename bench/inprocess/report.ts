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
  /** The peer of the same key scenario on this framework, when it ran. */
  readonly peer: PeerComparison | undefined;
}

/** sluice's judged arm held against the peer limiter of the same framework and key scenario. */
export interface PeerComparison {
  readonly arm: Arm;
  /** Over rounds, (peer − the peer's baseline) of the per-round trimmed means, µs per request. */
  readonly addedUs: Stat;
  /** The peer's baseline: bare on Express, the bare arm of the peer's own instance on Fastify. */
  readonly baseline: Arm;
  /** Over rounds, (sluice's added − the peer's added) in the same round: the median is judged (≤ 0). */
  readonly sluiceMinusPeerUs: Stat;
  /** Over rounds, the async control arm over bare: what following a response through the microtask queue adds. */
  readonly asyncControlUs: Stat | undefined;
  /** Over rounds, the peer's added minus the control's added: the peer's cost net of being followed asynchronously. */
  readonly beyondControlUs: Stat | undefined;
  /** Both arms and the peer's baseline clean (every request ended, 2xx, its expected header). */
  readonly valid: boolean;
  readonly met: boolean;
}

/** Per round, `arm − other` of the trimmed means (NaN for a round one of them lacks). */
function roundDifferences(arm: ArmFigures, other: ArmFigures): number[] {
  return arm.rounds.map((round, i) => round.trimmedMean - (other.rounds[i]?.trimmedMean ?? Number.NaN));
}

/** Over the rounds both have, `a − b` of per-round figures. */
function roundwise(a: readonly number[], b: readonly number[]): Stat {
  return stat(a.map((value, i) => value - (b[i] ?? Number.NaN)).filter((value) => !Number.isNaN(value)));
}

/** Over the rounds both ran, `arm − other` of the per-round trimmed means. */
function perRoundDifference(arm: ArmFigures, other: ArmFigures): Stat {
  return stat(roundDifferences(arm, other).filter((value) => !Number.isNaN(value)));
}

const frameworkName = (framework: string) => (framework === 'express' ? 'Express' : 'Fastify');

const isClean = (figures: ArmFigures) => figures.unfinished + figures.non2xx + figures.headerMismatches === 0;

/** The peer of `arm`'s key scenario in `group`, held against it; undefined when no peer arm ran. */
function peerComparison(group: FrameworkResult, arm: Arm, figures: ArmFigures): PeerComparison | undefined {
  const ofRole = (role: Arm['role'], newKey?: boolean) =>
    group.arms.find((other) => {
      const otherArm = armById(other.id);
      return otherArm?.role === role && (newKey === undefined || otherArm.newKey === newKey);
    });
  const peer = ofRole('peer', arm.newKey);
  const bare = ofRole('baseline');
  const peerBase = ofRole('peer-baseline') ?? bare;
  const peerArm = peer && armById(peer.id);
  const peerBaseArm = peerBase && armById(peerBase.id);
  if (peer === undefined || bare === undefined || peerBase === undefined || peerArm === undefined || peerBaseArm === undefined) {
    return undefined;
  }
  const peerAdded = roundDifferences(peer, peerBase);
  const control = ofRole('control');
  const controlAdded = control === undefined ? undefined : roundDifferences(control, bare);
  const sluiceMinusPeerUs = roundwise(roundDifferences(figures, bare), peerAdded);
  const valid = [figures, peer, peerBase].every((one) => isClean(one) && one.count > 0);
  return {
    arm: peerArm,
    addedUs: perRoundDifference(peer, peerBase),
    baseline: peerBaseArm,
    sluiceMinusPeerUs,
    asyncControlUs: control === undefined ? undefined : perRoundDifference(control, bare),
    beyondControlUs: controlAdded === undefined ? undefined : roundwise(peerAdded, controlAdded),
    valid,
    met: valid && sluiceMinusPeerUs.median <= 0,
  };
}

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
        peer: peerComparison(group, arm, figures),
      };
      return [check];
    });
  });
}

const scenarioName = (arm: Arm) => (arm.newKey ? 'a new key per request' : 'one client');

/** A line's verdict: none when its arms were not measured cleanly or the run was a smoke run. */
function verdictText(judged: { readonly valid: boolean; readonly met: boolean }, smoke: boolean, notMeasured: string): string {
  if (!judged.valid) return `NOT MEASURED (${notMeasured})`;
  if (smoke) return 'no verdict (smoke run)';
  return judged.met ? 'met' : 'MISSED';
}

/** The one-line verdict, as printed and as written to RESULTS.md. */
export function targetLine(check: InProcessTargetCheck): string {
  const what = scenarioName(check.arm);
  const verdict = verdictText(check, check.smoke, 'requests not finished in the call, refused or without headers');
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

const PEER_NAMES: Readonly<Record<string, string>> = { express: 'express-rate-limit', fastify: '@fastify/rate-limit' };

/** The line holding a judged arm against the peer of its key scenario, or undefined when no peer ran. */
export function peerLine(check: InProcessTargetCheck): string | undefined {
  const { peer } = check;
  if (peer === undefined) return undefined;
  const what = scenarioName(check.arm);
  const verdict = verdictText(
    peer,
    check.smoke,
    'requests of sluice, the peer or its bare arm not finished, refused or with wrong headers',
  );
  const overWhat = peer.baseline.role === 'baseline' ? 'over bare' : 'over the bare arm of its own instance';
  return (
    `${frameworkName(check.framework)}, ${what}: sluice adds ${signed(check.addedUs.median, 2)} µs over bare, ` +
    `${PEER_NAMES[check.framework] ?? 'the peer'} ${signed(peer.addedUs.median, 2)} µs ${overWhat}; sluice ≤ peer: ${verdict} · ` +
    `sluice − peer per round ${signed(peer.sluiceMinusPeerUs.median, 2)} µs (over rounds ${fixed(peer.sluiceMinusPeerUs.min, 2)} … ` +
    `${fixed(peer.sluiceMinusPeerUs.max, 2)})` +
    (peer.asyncControlUs === undefined || peer.beyondControlUs === undefined
      ? ''
      : `; the empty async control adds ${signed(peer.asyncControlUs.median, 2)} µs over bare (what being timed through the ` +
        `microtask queue costs any async limiter), the peer ${signed(peer.beyondControlUs.median, 2)} µs beyond that control`)
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
  'same for every arm). The peers answer asynchronously, in microtasks queued by the listener call (their memory stores ' +
  'return promises): such a response is followed through the microtask queue until it has ended, which Node finishes ' +
  'before it runs any other request, so the span holds that request alone; an empty async middleware / hook (control) ' +
  'shows what the following itself adds. Peers, configured as in `npm run bench:http` with the limits of the sluice arms: ' +
  'express-rate-limit (draft-8 headers) as one more Express app; @fastify/rate-limit (default headers) on a second Fastify ' +
  'instance in the same process (it reads the same `config.rateLimit` as sluice’s plugin), so its figure is added over ' +
  'the bare arm of its own instance.';

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
    const peerLines = checks.flatMap((check) => peerLine(check) ?? []);
    if (peerLines.length > 0) {
      lines.push(
        '',
        '### Beside the peers: µs sluice adds over bare against µs the peer adds over its bare, per round (trimmed means)',
        '',
        ...peerLines.map((line) => `- ${line}`),
      );
    }
  }
  return lines.join('\n');
}
