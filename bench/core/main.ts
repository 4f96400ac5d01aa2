/**
 * `npm run bench:core`: decisions per second of sluice's MemoryStore against its peers and a
 * hand-written floor, on one hot key and over many round-robin keys, and bytes held per key.
 *
 * The machine is shared and noisy, so every contender runs in short slices taken in rotation over
 * several rounds, and speed is ops per CPU-second of this process (time it was not running does not
 * count). Ratios are between figures of the same run. `--quick`: a short smoke run that leaves
 * RESULTS.md alone.
 */
import { ChildServer } from '../lib/childServer.js';
import { parseCommandLine, QUICK_OPTION } from '../lib/cli.js';
import { machine } from '../lib/environment.js';
import { markdownTable } from '../lib/markdown.js';
import { scriptPath } from '../lib/paths.js';
import { writeResultsJson, writeResultsSection } from '../lib/results.js';
import { type Stat, stat } from '../lib/stats.js';
import { CONTENDERS, type Contender } from './contenders.js';
import type { MemoryProbe } from './memory.js';
import type { CoreResults } from './results.js';

const { values, command } = parseCommandLine(QUICK_OPTION, { script: 'bench:core' });
const quick = values.quick;
const ROUNDS = quick ? 3 : 7;
const SYNC_OPS = quick ? 200_000 : 1_000_000;
const ASYNC_OPS = quick ? 50_000 : 250_000;
const MEMORY_KEYS = quick ? 100_000 : 1_000_000;
const ROUND_ROBIN_KEYS = 100_000;

const hotKeys = ['user:42'];
const manyKeys = Array.from({ length: ROUND_ROBIN_KEYS }, (_, i) => `user:${i}`);
const scenarios = [
  { name: 'hot key', keys: hotKeys },
  { name: '100k keys', keys: manyKeys },
] as const;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Runs `ops` calls over `keys` and returns ops per CPU-second. */
async function slice(contender: Contender, take: (key: string) => unknown, keys: readonly string[], ops: number): Promise<number> {
  const count = keys.length;
  const start = cpuMs();
  if (contender.async) {
    for (let i = 0; i < ops; i++) await take(keys[i % count] as string);
  } else {
    for (let i = 0; i < ops; i++) take(keys[i % count] as string);
  }
  return ops / ((cpuMs() - start) / 1000);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

// --- throughput -------------------------------------------------------------------------------
const samples = new Map<string, number[]>(); // `${contender}|${scenario}` → ops/s per round
const instances = CONTENDERS.map((contender) => ({ contender, take: contender.make({ lasting: false }) }));
for (const { contender, take } of instances) {
  // Warm-up: let the JIT settle before anything is measured.
  for (const scenario of scenarios) await slice(contender, take, scenario.keys, contender.async ? ASYNC_OPS / 2 : SYNC_OPS / 2);
}
for (let round = 1; round <= ROUNDS; round++) {
  log(`throughput round ${round}/${ROUNDS}`);
  for (const scenario of scenarios) {
    for (const { contender, take } of instances) {
      const opsPerSec = await slice(contender, take, scenario.keys, contender.async ? ASYNC_OPS : SYNC_OPS);
      const id = `${contender.name}|${scenario.name}`;
      samples.set(id, [...(samples.get(id) ?? []), opsPerSec]);
    }
  }
}
const speedStat = (contender: string, scenario: string): Stat => stat(samples.get(`${contender}|${scenario}`) ?? []);
const speed = (contender: string, scenario: string) => speedStat(contender, scenario).median;

// --- memory: one child process per contender, so heaps do not mix ------------------------------
const memory = new Map<string, number>();
const memoryScript = scriptPath('./memory.ts', import.meta.url);
for (const contender of CONTENDERS) {
  log(`memory: ${contender.name} (${MEMORY_KEYS} keys)`);
  const probe = await ChildServer.fork<MemoryProbe>(memoryScript, {
    name: `memory probe of ${contender.name}`,
    args: [contender.name, String(MEMORY_KEYS)],
    execArgv: ['--expose-gc'],
    startupTimeoutMs: 600_000,
  });
  await probe.stop();
  memory.set(contender.name, probe.ready.bytesPerKey);
}

// --- report -----------------------------------------------------------------------------------
const FLOOR = 'floor (hand-written, sync)';
const RLF = 'rate-limiter-flexible Memory';
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
const bytes = (name: string) => memory.get(name) ?? Number.NaN;
const rows = CONTENDERS.map((c) => [
  c.name,
  ...scenarios.flatMap((s) => {
    const { median, min, max } = speedStat(c.name, s.name);
    return [`${fmt(median)} (${fmt(min)}–${fmt(max)})`, `${(median / speed(RLF, s.name)).toFixed(2)}×`];
  }),
  `${bytes(c.name).toFixed(0)}`,
  `${(bytes(c.name) / bytes(FLOOR)).toFixed(2)}×`,
]);
const table = markdownTable(
  [
    'contender',
    'hot key ops/s (min–max)',
    'vs rlf',
    '100k keys ops/s (min–max)',
    'vs rlf',
    `bytes/key at ${MEMORY_KEYS / 1000}k keys`,
    'vs floor',
  ],
  rows,
);

const check = (label: string, value: number, op: '≥' | '≤', target: number) =>
  `- ${(op === '≥' ? value >= target : value <= target) ? 'PASS' : 'MISS'}: ${label} = ${value.toFixed(2)} (target ${op} ${target})`;
const targets = [
  ...scenarios.map((s) =>
    check(`sluice consume / rate-limiter-flexible, ${s.name}`, speed('sluice consume', s.name) / speed(RLF, s.name), '≥', 2.5),
  ),
  ...scenarios.map((s) =>
    check(`sluice consumeSync / floor, ${s.name}`, speed('sluice consumeSync', s.name) / speed(FLOOR, s.name), '≥', 0.67),
  ),
  check('sluice bytes per key / floor', bytes('sluice consume') / bytes(FLOOR), '≤', 0.75),
  check('sluice bytes per key / rate-limiter-flexible', bytes('sluice consume') / bytes(RLF), '≤', 0.25),
];

const { node, cores } = machine();
const markdown = `## Core: in-memory decisions (\`${command}\`)

Node ${node}, ${cores} cores, ${ROUNDS} rounds in rotation; ops per CPU-second, median (min–max).
Memory: heap + ArrayBuffers held per key after inserting ${MEMORY_KEYS.toLocaleString('en-US')} keys, key strings excluded
(the harness owns them). Async contenders are awaited one call at a time.

${table}

${targets.join('\n')}
`;
console.log(markdown);
const result: CoreResults = {
  quick,
  node,
  cores,
  rounds: ROUNDS,
  memoryKeys: MEMORY_KEYS,
  contenders: CONTENDERS.map((c) => ({
    name: c.name,
    opsPerSec: Object.fromEntries(scenarios.map((s) => [s.name, speedStat(c.name, s.name)])),
    bytesPerKey: memory.get(c.name) ?? null,
  })),
};
writeResultsJson(quick ? 'core.quick' : 'core', result);
if (!quick) writeResultsSection('core', markdown);
