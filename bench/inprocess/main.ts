/**
 * `npm run bench:http:inprocess`: what sluice adds per request, timed inside real Express and Fastify
 * servers under autocannon load, against bare and empty-middleware apps and the peers (express-rate-limit,
 * @fastify/rate-limit) in the same process, request by request (see ./apps.ts and ./bench.ts). The precise companion of `npm run bench:http`, whose
 * process-level CPU figures are too coarse for a per-request target of a few µs on Express.
 *
 *   --quick                a short smoke run (also BENCH_QUICK=1); writes bench/results/http-inprocess.quick.json,
 *                          leaves RESULTS.md alone unless --write
 *   --rounds N --round MS --warmup MS --connections N
 *   --framework express|fastify   only this framework
 *   --diagnose             add arms that take the one-client sluice arm apart (no headers, a fixed key, the
 *                          headers alone, the core alone): where its time goes
 *   --arms id,id           only these arms (and bare); ids in ./arms.ts
 *   --clock wall|cpu       a request's time: wall-clock inside the listener (default), or the process' CPU time
 *                          during it (µs resolution; not inflated by preemption on a crowded machine)
 *   --profile              CPU-profile the servers (.tmp/cpu-profiles/inprocess-<framework>.cpuprofile; read them with
 *                          bench/lib/cpuProfileSummary.ts, Chrome DevTools or speedscope)
 *   --no-write             do not write bench/RESULTS.md (nor bench/results/http-inprocess.json)
 */
import { mkdirSync } from 'node:fs';
import type { Framework } from '../http/contenders.js';
import { integerOption, listOption, parseCommandLine, QUICK_OPTION, shouldWrite, WRITE_OPTIONS } from '../lib/cli.js';
import { CPU_PROFILE_DIR } from '../lib/paths.js';
import { writeResultsJson, writeResultsSection } from '../lib/results.js';
import { ALL_ARMS, ARMS, type ArmId, armsByIds } from './arms.js';
import { FULL_OPTIONS, type InProcessOptions, QUICK_OPTIONS, runInProcessBench } from './bench.js';
import { inProcessMarkdown, inProcessTargetChecks, peerLine, targetLine } from './report.js';
import type { RequestClock } from './requestTimer.js';

const SCRIPT = 'bench:http:inprocess';
const FRAMEWORKS: readonly Framework[] = ['express', 'fastify'];
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values, command } = parseCommandLine(
  {
    ...QUICK_OPTION,
    ...WRITE_OPTIONS,
    rounds: { type: 'string' },
    round: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    framework: { type: 'string' },
    profile: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    arms: { type: 'string' },
    clock: { type: 'string' },
  },
  { script: SCRIPT, notInCommand: ['write', 'no-write', 'profile'] },
);

const frameworks = (listOption(SCRIPT, 'framework', values.framework, FRAMEWORKS) ?? FRAMEWORKS) as Framework[];
/** The arms the options ask for: --arms, else the judged set plus, with --diagnose, the diagnostic arms. */
const arms: ArmId[] = armsByIds(
  listOption(
    SCRIPT,
    'arms',
    values.arms,
    ALL_ARMS.map((arm) => arm.id),
  ) ?? (values.diagnose ? ALL_ARMS : ARMS).map((arm) => arm.id),
).map((arm) => arm.id);

const clock = listOption(SCRIPT, 'clock', values.clock, ['wall', 'cpu'])?.[0] as RequestClock | undefined;
const base = values.quick ? QUICK_OPTIONS : FULL_OPTIONS;
const cpuProfileDir = values.profile ? CPU_PROFILE_DIR : undefined;
if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });

const options: InProcessOptions = {
  rounds: integerOption(SCRIPT, 'rounds', values.rounds, base.rounds),
  roundMs: integerOption(SCRIPT, 'round', values.round, base.roundMs, 100),
  warmupMs: integerOption(SCRIPT, 'warmup', values.warmup, base.warmupMs, 0),
  connections: integerOption(SCRIPT, 'connections', values.connections, base.connections),
  quick: values.quick,
  frameworks,
  arms,
  ...(clock ? { clock } : {}),
  ...(cpuProfileDir ? { cpuProfileDir } : {}),
  onProgress: ({ framework, step, done, total }) => log(`[${done}/${total} runs] ${framework}: ${step}`),
};

const result = await runInProcessBench(options);
const markdown = inProcessMarkdown(result, command);
process.stdout.write(`\n${markdown}\n`);

const write = shouldWrite(values);
if (write) {
  writeResultsSection('http-inprocess', markdown);
  log('wrote the http-inprocess section of bench/RESULTS.md');
}
// The full run's JSON goes with its RESULTS.md section: a --no-write run leaves both alone.
if (values.quick || write) {
  const jsonId = `http-inprocess${values.quick ? '.quick' : ''}`;
  writeResultsJson(jsonId, result);
  log(`wrote bench/results/${jsonId}.json`);
}
if (cpuProfileDir) log(`CPU profiles: ${cpuProfileDir}/inprocess-<framework>.cpuprofile`);

const checks = inProcessTargetChecks(result);
for (const check of checks) {
  log(`target ${targetLine(check)}`);
  const beside = peerLine(check);
  if (beside !== undefined) log(`peer ${beside}`);
}
const problems = [
  ...result.frameworks
    .filter((group) => group.clientErrors + group.clientNon2xx + group.unknownArm > 0)
    .map(
      (group) =>
        `${group.framework}: ${group.clientErrors} client errors, ${group.clientNon2xx} non-2xx, ${group.unknownArm} without an arm`,
    ),
  ...checks.filter((check) => !check.valid).map((check) => `${check.framework} ${check.arm.id}: not measured cleanly (see the table)`),
  ...checks
    .filter((check) => check.peer !== undefined && !check.peer.valid)
    .map((check) => `${check.framework} ${check.peer?.arm.id}: the peer beside ${check.arm.id} not measured cleanly (see the table)`),
];
if (problems.length > 0) {
  // A request that did not finish in the call, was refused or failed means the figures do not say what they claim.
  log(`${SCRIPT}: requests that should not happen:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
