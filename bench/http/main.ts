/**
 * `npm run bench:http`: autocannon against bare Express and Fastify and against each with sluice and
 * with the peers' limiters (memory and Redis), every server in its own process. See bench/httpBench.ts.
 *
 *   --quick              ~10 s smoke run (also BENCH_QUICK=1); does not touch RESULTS.md unless --write
 *   --rounds N --slice MS --warmup MS --preload MS --connections N
 *   --only id,id         only these contenders (plus the bare servers); ids in bench/httpContenders.ts
 *   --scenario overhead|newKey
 *   --no-redis           skip the Redis contenders
 *   --profile id,id      CPU-profile these servers during the load (.tmp/cpu-profiles/<id>.cpuprofile; read them
 *                        with bench/cpuProfileSummary.ts, Chrome DevTools or speedscope)
 *   --json PATH          also write the raw result (every slice) as JSON
 *   --from-json PATH     do not run: render (and write) the section from a saved --json result
 *   --no-write           do not write bench/RESULTS.md
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { positiveInteger as integerOption } from './cliArgs.js';
import { FULL_OPTIONS, type HttpBenchOptions, type HttpBenchResult, QUICK_OPTIONS, runHttpBench } from './httpBench.js';
import { HTTP_CONTENDERS, SCENARIOS, type Scenario } from './httpContenders.js';
import { httpResultsMarkdown, targetChecks } from './httpReport.js';
import { writeResultsSection } from './resultsFile.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
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
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
  },
});

function idList(name: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(',').filter(Boolean);
  for (const id of ids) {
    if (!HTTP_CONTENDERS.some((c) => c.id === id)) {
      throw new Error(
        `bench:http: --${name} ${JSON.stringify(id)} is not a contender; known: ${HTTP_CONTENDERS.map((c) => c.id).join(', ')}`,
      );
    }
  }
  return ids;
}

const positiveInteger = (name: string, text: string | undefined, fallback: number, min = 1) =>
  integerOption('bench:http', name, text, fallback, min);

const base = values.quick ? QUICK_OPTIONS : FULL_OPTIONS;
let scenarios: Scenario[] | undefined;
if (values.scenario !== undefined) {
  const scenario = SCENARIOS.find((s) => s.id === values.scenario);
  if (!scenario) throw new Error(`bench:http: --scenario must be one of ${SCENARIOS.map((s) => s.id).join(', ')}`);
  scenarios = [scenario.id];
}
const profile = idList('profile', values.profile);
const only = idList('only', values.only);
const cpuProfileDir = `${ROOT}.tmp/cpu-profiles`;
if (profile) mkdirSync(cpuProfileDir, { recursive: true });

const options: HttpBenchOptions = {
  rounds: positiveInteger('rounds', values.rounds, base.rounds),
  sliceMs: positiveInteger('slice', values.slice, base.sliceMs),
  warmupMs: positiveInteger('warmup', values.warmup, base.warmupMs, 0),
  preloadMs: positiveInteger('preload', values.preload, base.preloadMs, 0),
  connections: positiveInteger('connections', values.connections, base.connections),
  noRedis: values['no-redis'],
  ...(only ? { only } : {}),
  ...(scenarios ? { scenarios } : {}),
  ...(profile ? { profile, cpuProfileDir } : {}),
  onProgress: (event) => {
    const where = `${event.framework}${event.scenario ? ` / ${event.scenario}` : ''}`;
    const step = event.phase === 'round' ? `round ${event.round}/${event.rounds}` : event.phase;
    log(`[${event.slicesDone}/${event.slicesTotal} slices] ${where}: ${step}`);
  },
};

// The command that reproduces the figures (output paths and re-rendering left out).
const runArgs = process.argv
  .slice(2)
  .filter((arg, i, all) => !/^--(json|from-json|write|no-write)$/.test(arg) && !/^--(json|from-json)$/.test(all[i - 1] ?? ''));
const command = `npm run bench:http${runArgs.length > 0 ? ` -- ${runArgs.join(' ')}` : ''}`;
// --from-json re-renders the section from a saved run instead of running again.
const result: HttpBenchResult = values['from-json']
  ? (JSON.parse(readFileSync(values['from-json'], 'utf8')) as HttpBenchResult)
  : await runHttpBench(options);
const markdown = httpResultsMarkdown(result, command);
process.stdout.write(`\n${markdown}\n`);

const write = values.write ?? (!values.quick && !values['no-write']);
if (write) {
  writeResultsSection('http', markdown);
  log('wrote the http section of bench/RESULTS.md');
}
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${values.json}`);
}
if (profile) log(`CPU profiles (open in Chrome DevTools or speedscope): ${cpuProfileDir}`);

const problems = result.groups.flatMap((group) =>
  group.contenders
    .filter(({ figures }) => figures.non2xx + figures.errors > 0)
    .map(({ contender, figures }) => `${contender.id} (${group.scenario}): ${figures.non2xx} non-2xx, ${figures.errors} errors`),
);
for (const check of targetChecks(result)) {
  log(
    `target ${check.contender} ${check.scenario}: ${check.addedUs.median.toFixed(1)} µs/req added (≤ ${check.targetUs}; A/A noise ${check.noiseUs.toFixed(1)}): ${check.met ? 'met' : 'MISSED'}`,
  );
}
if (problems.length > 0) {
  // A refused or failed request means the run did not measure what it says: fail it.
  log(`bench:http: responses that should not happen:\n  ${problems.join('\n  ')}`);
  process.exitCode = 1;
}
