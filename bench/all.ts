/**
 * `npm run bench`: the benchmarks in one go (each still runs alone: bench:core, bench:redis,
 * bench:http, bench:http:inprocess), then the combined charts (bench/results.svg) and a summary section in bench/RESULTS.md.
 *
 * On a terminal it shows one live status line (which benchmark, its latest step, elapsed and time
 * left); elsewhere (CI, a pipe) plain lines. `--quick`: a smoke run that writes its results under
 * bench/results/*.quick.json and leaves RESULTS.md and results.svg alone. `--report-only`: redraw the
 * charts and the summary from the results already in bench/results/.
 */
import { spawn } from 'node:child_process';
import { coreCharts } from './core/charts.js';
import type { CoreResults } from './core/results.js';
import type { HttpBenchResult } from './http/bench.js';
import { httpCharts } from './http/charts.js';
import { renderSvg } from './lib/charts.js';
import { parseCommandLine, QUICK_OPTION } from './lib/cli.js';
import { machine, packageVersions, versionList } from './lib/environment.js';
import { REPO_ROOT } from './lib/paths.js';
import { readResultsJson, writeBenchFile, writeResultsSection } from './lib/results.js';
import { redisCharts } from './redis/charts.js';
import type { RedisResults } from './redis/results.js';

const { values } = parseCommandLine({ ...QUICK_OPTION, 'report-only': { type: 'boolean', default: false } }, { script: 'bench' });
const quick = values.quick;
const suffix = quick ? '.quick' : '';
const tty = process.stderr.isTTY === true;

interface Step {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
  /** Rough duration in seconds, for the time-left estimate until the step reports its own progress. */
  readonly expectedSec: number;
}

const steps: Step[] = [
  { name: 'core', args: ['bench/core/main.ts', ...(quick ? ['--quick'] : [])], expectedSec: quick ? 20 : 120 },
  {
    name: 'redis',
    args: ['bench/redis/main.ts', ...(quick ? ['--quick'] : [])],
    expectedSec: quick ? 15 : 90,
  },
  {
    name: 'http',
    args: ['bench/http/main.ts', '--json', `bench/results/http${suffix}.json`, ...(quick ? ['--quick'] : [])],
    expectedSec: quick ? 20 : 420,
  },
  {
    // What sluice adds per request, timed inside one server per framework: finer than bench:http's process CPU figures.
    name: 'http-inprocess',
    args: ['bench/inprocess/main.ts', ...(quick ? ['--quick'] : [])],
    expectedSec: quick ? 12 : 60,
  },
];

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;

function runStep(step: Step, index: number): Promise<void> {
  const started = Date.now();
  let last = 'starting';
  let fraction = 0;
  const status = () => {
    const elapsed = (Date.now() - started) / 1000;
    const total = fraction > 0.05 ? elapsed / fraction : step.expectedSec;
    const left = Math.max(0, total - elapsed);
    return `[${index + 1}/${steps.length}] ${step.name} ${clock(elapsed)} elapsed, ~${clock(left)} left · ${last}`;
  };
  const timer = tty ? setInterval(() => process.stderr.write(`\r\x1b[K${status().slice(0, process.stderr.columns - 1)}`), 500) : undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...step.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buffer = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim() !== '')) {
        last = line.trim();
        // Progress such as "round 3/7" or "[12/40 slices]" refines the time-left estimate.
        const match = /(\d+)\s*\/\s*(\d+)/.exec(line);
        if (match) fraction = Math.max(fraction, Number(match[1]) / Number(match[2]));
        if (!tty) process.stderr.write(`[${step.name}] ${line}\n`);
      }
    });
    child.on('exit', (code) => {
      if (timer) clearInterval(timer);
      const line = `[${index + 1}/${steps.length}] ${step.name}: ${code === 0 ? 'done' : `failed (exit ${code})`} in ${clock((Date.now() - started) / 1000)}`;
      process.stderr.write(tty ? `\r\x1b[K${line}\n` : `${line}\n`);
      code === 0 ? resolve() : reject(new Error(`bench ${step.name} failed: ${last}`));
    });
  });
}

// --report-only: redraw the charts and the summary from the JSON of earlier runs, running nothing.
if (!values['report-only']) {
  for (const [index, step] of steps.entries()) await runStep(step, index);
}

const core = readResultsJson<CoreResults>(`core${suffix}`);
const redis = readResultsJson<RedisResults>(`redis${suffix}`);
const http = readResultsJson<HttpBenchResult>(`http${suffix}`);
const charts = [...(core ? coreCharts(core) : []), ...(redis ? redisCharts(redis) : []), ...(http ? httpCharts(http) : [])];
const svg = await renderSvg(charts);

const peers = [
  'rate-limiter-flexible',
  'limiter',
  'express-rate-limit',
  'rate-limit-redis',
  '@fastify/rate-limit',
  'express',
  'fastify',
  'ioredis',
];
const { node, cores, cpuModel } = machine();
const summary = `## Summary (\`npm run bench\`)

Node ${node}, ${cores} cores (${cpuModel}), redis-server ${redis?.redisVersion ?? http?.redisVersion ?? 'not run'}.
Peers: ${versionList(packageVersions(peers))}. Each case runs in at least 3 rounds; tables give the median
and the min–max, and ratios compare figures of the same run.

![benchmark charts](results.svg)
`;
if (quick) {
  writeBenchFile('results/results.quick.svg', svg);
  process.stderr.write(`quick run: ${charts.length} charts in bench/results/results.quick.svg\n`);
} else {
  writeBenchFile('results.svg', svg);
  writeResultsSection('summary', summary);
  process.stderr.write(`wrote bench/results.svg (${charts.length} charts) and bench/RESULTS.md\n`);
}
