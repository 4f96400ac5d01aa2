/**
 * `npm run bench:http:inprocess`: what sluice adds per request, timed inside real Express and Fastify
 * servers under autocannon load, against bare and empty-middleware apps in the same process, request
 * by request (see bench/httpInProcessApps.ts and bench/httpInProcessBench.ts). The precise companion
 * of `npm run bench:http`, whose process-level CPU figures cannot resolve 2 µs on Express.
 *
 *   --quick                ~10 s smoke run (also BENCH_QUICK=1); writes bench/results/http-inprocess.quick.json,
 *                          leaves RESULTS.md alone unless --write
 *   --rounds N --round MS --warmup MS --connections N
 *   --framework express|fastify   only this framework
 *   --diagnose             add arms that take the one-client sluice arm apart (no headers, a fixed key, the
 *                          headers alone, the core alone): where its time goes
 *   --arms id,id           only these arms (and bare); ids in bench/httpInProcessArms.ts
 *   --profile              CPU-profile the servers (.tmp/cpu-profiles/inprocess-<framework>.cpuprofile; read them with
 *                          bench/cpuProfileSummary.ts, Chrome DevTools or speedscope)
 *   --no-write             do not write bench/RESULTS.md (nor bench/results/http-inprocess.json)
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInteger } from './cliArgs.js';
import type { Framework } from './httpContenders.js';
import { ALL_ARMS, ARMS, type ArmId, armsByIds } from './httpInProcessArms.js';
import { FULL_OPTIONS, type InProcessOptions, QUICK_OPTIONS, runInProcessBench } from './httpInProcessBench.js';
import { inProcessMarkdown, inProcessTargetChecks, targetLine } from './httpInProcessReport.js';
import { writeResultsJson, writeResultsSection } from './resultsFile.js';

const SCRIPT = 'bench:http:inprocess';
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    rounds: { type: 'string' },
    round: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    framework: { type: 'string' },
    profile: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    arms: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
  },
});

const FRAMEWORKS: readonly Framework[] = ['express', 'fastify'];
if (values.framework !== undefined && !FRAMEWORKS.includes(values.framework as Framework)) {
  throw new Error(`${SCRIPT}: --framework must be one of ${FRAMEWORKS.join(', ')}`);
}
/** The arms the options ask for: --arms, else the judged set plus, with --diagnose, the diagnostic arms. */
function armIds(): ArmId[] {
  const ids = values.arms?.split(',').filter(Boolean) ?? (values.diagnose ? ALL_ARMS : ARMS).map((arm) => arm.id);
  return armsByIds(ids).map((arm) => arm.id);
}

const base = values.quick ? QUICK_OPTIONS : FULL_OPTIONS;
const cpuProfileDir = values.profile ? fileURLToPath(new URL('../.tmp/cpu-profiles', import.meta.url)) : undefined;
if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });

const options: InProcessOptions = {
  rounds: positiveInteger(SCRIPT, 'rounds', values.rounds, base.rounds),
  roundMs: positiveInteger(SCRIPT, 'round', values.round, base.roundMs, 100),
  warmupMs: positiveInteger(SCRIPT, 'warmup', values.warmup, base.warmupMs, 0),
  connections: positiveInteger(SCRIPT, 'connections', values.connections, base.connections),
  quick: values.quick,
  frameworks: values.framework === undefined ? FRAMEWORKS : [values.framework as Framework],
  arms: armIds(),
  ...(cpuProfileDir ? { cpuProfileDir } : {}),
  onProgress: ({ framework, step, done, total }) => log(`[${done}/${total} runs] ${framework}: ${step}`),
};

// The command that reproduces the figures (where the output goes left out).
const runArgs = process.argv.slice(2).filter((arg) => !/^--(write|no-write|profile)$/.test(arg));
const command = `npm run ${SCRIPT}${runArgs.length > 0 ? ` -- ${runArgs.join(' ')}` : ''}`;

const result = await runInProcessBench(options);
const markdown = inProcessMarkdown(result, command);
process.stdout.write(`\n${markdown}\n`);

// Same convention as bench:http: a quick run never rewrites RESULTS.md unless asked to.
const write = values.write ?? (!values.quick && !values['no-write']);
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
for (const check of checks) log(`target ${targetLine(check)}`);
const problems = [
  ...result.frameworks
    .filter((group) => group.clientErrors + group.clientNon2xx + group.unknownArm > 0)
    .map(
      (group) =>
        `${group.framework}: ${group.clientErrors} client errors, ${group.clientNon2xx} non-2xx, ${group.unknownArm} without an arm`,
    ),
  ...checks.filter((check) => !check.valid).map((check) => `${check.framework} ${check.arm.id}: not measured cleanly (see the table)`),
];
if (problems.length > 0) {
  // A request that did not finish in the call, was refused or failed means the figures do not say what they claim.
  log(`${SCRIPT}: requests that should not happen:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
