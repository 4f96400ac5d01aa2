/**
 * `npm run bench:core`: decisions per second of sluice's MemoryStore against its peers and a
 * hand-written floor, on one hot key and over 100k round-robin keys, and bytes held per key at 1M keys.
 *
 * The machine is shared and noisy, so every contender runs in short slices taken in rotation over
 * several rounds, and speed is ops per CPU-second of this process (time it was not running does not
 * count). Ratios are between figures of the same run. `--quick` runs a short smoke version.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CONTENDERS, type Contender } from './coreContenders.js';
import { markdownTable, writeResultsJson, writeResultsSection } from './resultsFile.js';

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
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

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

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
const speed = (contender: string, scenario: string) => median(samples.get(`${contender}|${scenario}`) ?? [Number.NaN]);

// --- memory: one child process per contender, so heaps do not mix ------------------------------
const memory = new Map<string, number>();
const memoryScript = fileURLToPath(new URL('./coreMemory.ts', import.meta.url));
for (const contender of CONTENDERS) {
  log(`memory: ${contender.name} (${MEMORY_KEYS} keys)`);
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', memoryScript, contender.name, String(MEMORY_KEYS)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  memory.set(contender.name, (JSON.parse(output) as { bytesPerKey: number }).bytesPerKey);
}

// --- report -----------------------------------------------------------------------------------
const FLOOR = 'floor (hand-written, sync)';
const RLF = 'rate-limiter-flexible Memory';
const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`);
const spread = (id: string) => {
  const values = samples.get(id) ?? [];
  return `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;
};
const rows = CONTENDERS.map((c) => [
  c.name,
  ...scenarios.flatMap((s) => [
    `${fmt(speed(c.name, s.name))} (${spread(`${c.name}|${s.name}`)})`,
    `${(speed(c.name, s.name) / speed(RLF, s.name)).toFixed(2)}×`,
  ]),
  `${(memory.get(c.name) ?? Number.NaN).toFixed(0)}`,
  `${((memory.get(c.name) ?? Number.NaN) / (memory.get(FLOOR) ?? Number.NaN)).toFixed(2)}×`,
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
  check('sluice bytes per key / floor', (memory.get('sluice consume') ?? Number.NaN) / (memory.get(FLOOR) ?? Number.NaN), '≤', 0.75),
  check(
    'sluice bytes per key / rate-limiter-flexible',
    (memory.get('sluice consume') ?? Number.NaN) / (memory.get(RLF) ?? Number.NaN),
    '≤',
    0.25,
  ),
];

const markdown = `## Core: in-memory decisions (\`npm run bench:core\`${quick ? ' --quick' : ''})

Node ${process.version}, ${cpus().length} cores, ${ROUNDS} rounds in rotation; ops per CPU-second, median (min–max).
Memory: heap + ArrayBuffers held per key after inserting ${MEMORY_KEYS.toLocaleString('en-US')} keys, key strings excluded
(the harness owns them). Async contenders are awaited one call at a time.

${table}

${targets.join('\n')}
`;
console.log(markdown);
writeResultsJson(quick ? 'core.quick' : 'core', {
  quick,
  node: process.version,
  cores: cpus().length,
  rounds: ROUNDS,
  memoryKeys: MEMORY_KEYS,
  contenders: CONTENDERS.map((c) => ({
    name: c.name,
    opsPerSec: Object.fromEntries(
      scenarios.map((s) => {
        const values = samples.get(`${c.name}|${s.name}`) ?? [];
        return [s.name, { median: speed(c.name, s.name), min: Math.min(...values), max: Math.max(...values) }];
      }),
    ),
    bytesPerKey: memory.get(c.name) ?? null,
  })),
});
if (!quick) writeResultsSection('core', markdown);
