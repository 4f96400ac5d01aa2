/**
 * `npm run bench:http`: autocannon against bare Express and Fastify and against each with sluice and
 * with the peers' limiters (memory and Redis), every server in its own process. See ./bench.ts.
 *
 *   --quick              a short smoke run (also BENCH_QUICK=1); does not touch RESULTS.md unless --write
 *   --rounds N --slice MS --warmup MS --preload MS --connections N
 *   --only id,id         only these contenders (plus the bare servers); ids in ./contenders.ts
 *   --scenario overhead|newKey
 *   --no-redis           skip the Redis contenders
 *   --profile id,id      CPU-profile these servers during the load (.tmp/cpu-profiles/<id>.cpuprofile; read them
 *                        with bench/lib/cpuProfileSummary.ts, Chrome DevTools or speedscope)
 *   --json PATH          also write the raw result (every slice) as JSON
 *   --from-json PATH     do not run: render (and write) the section from a saved --json result
 *   --no-write           do not write bench/RESULTS.md
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { integerOption, listOption, parseCommandLine, QUICK_OPTION, shouldWrite, WRITE_OPTIONS } from '../lib/cli.js';
import { CPU_PROFILE_DIR } from '../lib/paths.js';
import { writeResultsSection } from '../lib/results.js';
import { FULL_OPTIONS, type HttpBenchOptions, type HttpBenchResult, QUICK_OPTIONS, runHttpBench } from './bench.js';
import { HTTP_CONTENDERS, SCENARIOS, type Scenario } from './contenders.js';
import { httpResultsMarkdown, targetChecks } from './report.js';

const SCRIPT = 'bench:http';
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values, command } = parseCommandLine(
  {
    ...QUICK_OPTION,
    ...WRITE_OPTIONS,
    rounds: { type: 'string' },
    slice: { type: 'string' },
    warmup: { type: 'string' },
    preload: { type: 'string' },
    connections: { type: 'string' },
    only: { type: 'string' },
    scenario: { type: 'string' },
    'no-redis': { type: 'boolean', default: false },
    profile: { type: 'string' },
    json: { type: 'string' },
    'from-json': { type: 'string' },
  },
  { script: SCRIPT, notInCommand: ['json', 'from-json', 'write', 'no-write'] },
);

const contenderIds = HTTP_CONTENDERS.map((c) => c.id);
const base = values.quick ? QUICK_OPTIONS : FULL_OPTIONS;
const scenarios = listOption(
  SCRIPT,
  'scenario',
  values.scenario,
  SCENARIOS.map((s) => s.id),
) as Scenario[] | undefined;
const profile = listOption(SCRIPT, 'profile', values.profile, contenderIds);
const only = listOption(SCRIPT, 'only', values.only, contenderIds);
if (profile) mkdirSync(CPU_PROFILE_DIR, { recursive: true });

const options: HttpBenchOptions = {
  rounds: integerOption(SCRIPT, 'rounds', values.rounds, base.rounds),
  sliceMs: integerOption(SCRIPT, 'slice', values.slice, base.sliceMs),
  warmupMs: integerOption(SCRIPT, 'warmup', values.warmup, base.warmupMs, 0),
  preloadMs: integerOption(SCRIPT, 'preload', values.preload, base.preloadMs, 0),
  connections: integerOption(SCRIPT, 'connections', values.connections, base.connections),
  noRedis: values['no-redis'],
  ...(only ? { only } : {}),
  ...(scenarios ? { scenarios } : {}),
  ...(profile ? { profile, cpuProfileDir: CPU_PROFILE_DIR } : {}),
  onProgress: (event) => {
    const where = `${event.framework}${event.scenario ? ` / ${event.scenario}` : ''}`;
    const step = event.phase === 'round' ? `round ${event.round}/${event.rounds}` : event.phase;
    log(`[${event.slicesDone}/${event.slicesTotal} slices] ${where}: ${step}`);
  },
};

// --from-json re-renders the section from a saved run instead of running again.
const result: HttpBenchResult = values['from-json']
  ? (JSON.parse(readFileSync(values['from-json'], 'utf8')) as HttpBenchResult)
  : await runHttpBench(options);
const markdown = httpResultsMarkdown(result, command);
process.stdout.write(`\n${markdown}\n`);

if (shouldWrite(values)) {
  writeResultsSection('http', markdown);
  log('wrote the http section of bench/RESULTS.md');
}
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${values.json}`);
}
if (profile) log(`CPU profiles (open in Chrome DevTools or speedscope): ${CPU_PROFILE_DIR}`);

const problems = result.groups.flatMap((group) =>
  group.contenders
    .filter(({ figures }) => figures.non2xx + figures.errors > 0)
    .map(({ contender, figures }) => `${contender.id} (${group.scenario}): ${figures.non2xx} non-2xx, ${figures.errors} errors`),
);
for (const check of targetChecks(result)) {
  log(
    `target ${check.contender} ${check.scenario}: ${check.addedUs.median.toFixed(1)} µs/req added (≤ ${check.targetUs.toFixed(1)}${check.peer ? ` = ${check.peer}` : ''}; A/A noise ${check.noiseUs.toFixed(1)}${check.floorUs === undefined ? '' : `; floor limiter ${check.floorUs.toFixed(1)}`}): ${check.met ? 'met' : 'MISSED'}`,
  );
}
if (problems.length > 0) {
  // A refused or failed request means the run did not measure what it says: fail it.
  log(`${SCRIPT}: responses that should not happen:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
