/**
 * `npm run bench:core:ab -- --base <rev>`: a paired A/B of the one-band hot path, sluice's working tree
 * against the `src/` of an earlier revision, in one process. Both trees are loaded side by side (the base
 * through `git archive`, the working tree as a copy too, for an A/A pair: new against new), and each row
 * (consumeSync and consume, on one hot key and round-robin over 100k keys) runs its arms in alternating
 * short slices, round after round. Speed is ops per CPU-second of this process; a round's ratio is
 * new / base (and new / new copy) of the same round; the table gives the median ratio over the rounds.
 * Each arm gets its own loop function, so no arm shares type feedback with another.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCommandLine } from '../lib/cli.js';
import { markdownTable } from '../lib/markdown.js';
import { median } from '../lib/stats.js';

const { values, command } = parseCommandLine(
  {
    base: { type: 'string', default: 'main' },
    rounds: { type: 'string', default: '9' },
    'slice-ms': { type: 'string', default: '200' },
    /** Only the rows whose name contains this text (e.g. "consumeSync, hot"). */
    only: { type: 'string', default: '' },
  },
  { script: 'bench:core:ab' },
);
const rounds = Number(values.rounds);
const sliceMs = Number(values['slice-ms']);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench:core:ab: --rounds must be a whole number ≥ 1, got ${values.rounds}`);
if (!(sliceMs > 0)) throw new Error(`bench:core:ab: --slice-ms must be a positive number, got ${values['slice-ms']}`);

// Inside the checkout (a git-ignored folder), so the copies resolve the project's node_modules.
const root = resolve(import.meta.dirname, '../..');
const scratch = resolve(root, '.tmp/ab');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(resolve(scratch, 'base'), { recursive: true });
const archive = execFileSync('git', ['archive', values.base, 'src'], { cwd: root, maxBuffer: 1 << 28 });
execFileSync('tar', ['-x', '-C', resolve(scratch, 'base')], { input: archive });
cpSync(resolve(root, 'src'), resolve(scratch, 'copy/src'), { recursive: true });

interface Sluice {
  RateLimiter: new (options: object) => object;
}
const load = async (dir: string) => (await import(pathToFileURL(resolve(dir, 'src/index.ts')).href)) as Sluice;
const trees = { base: await load(resolve(scratch, 'base')), new: await load(root), copy: await load(resolve(scratch, 'copy')) };

const HIGH = 1e9;
const hotKeys = ['user:42'];
const manyKeys = Array.from({ length: 100_000 }, (_, i) => `user:${i}`);
type Method = 'consumeSync' | 'consume';
const allRows: { name: string; method: Method; keys: readonly string[] }[] = [
  { name: 'consumeSync, hot key', method: 'consumeSync', keys: hotKeys },
  { name: 'consume, hot key', method: 'consume', keys: hotKeys },
  { name: 'consumeSync, 100k keys', method: 'consumeSync', keys: manyKeys },
  { name: 'consume, 100k keys', method: 'consume', keys: manyKeys },
];
const rows = allRows.filter((row) => row.name.includes(values.only));
if (rows.length === 0) throw new Error(`bench:core:ab: --only ${JSON.stringify(values.only)} matches no row`);

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

type Loop = (limiter: object, keys: readonly string[], start: number, ops: number) => number | Promise<number>;
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => Loop;

/** A loop of its own (fresh source, so fresh type feedback) calling `method`; returns the next key index. */
function makeLoop(method: Method): Loop {
  const body = `const n = keys.length; let k = start;
    for (let i = 0; i < ops; i++) { ${method === 'consume' ? 'await ' : ''}limiter.${method}(keys[k]); if (++k === n) k = 0; }
    return k;`;
  return method === 'consume'
    ? new AsyncFunction('limiter', 'keys', 'start', 'ops', body)
    : (new Function('limiter', 'keys', 'start', 'ops', body) as Loop);
}

interface Arm {
  readonly limiter: object;
  readonly loop: Loop;
  next: number;
}
const armNames = ['base', 'new', 'copy'] as const;
const arms = rows.map(
  (row) =>
    Object.fromEntries(
      armNames.map((name) => {
        const limiter = new trees[name].RateLimiter({ capacity: HIGH, refillRate: HIGH, interval: '1s' });
        return [name, { limiter, loop: makeLoop(row.method), next: 0 } satisfies Arm];
      }),
    ) as Record<(typeof armNames)[number], Arm>,
);

/** Runs an arm for about `ms` of CPU time; returns its ops per CPU-second. */
async function slice(arm: Arm, keys: readonly string[], ms: number): Promise<number> {
  const batch = 5_000;
  let ops = 0;
  const start = cpuMs();
  let spent = 0;
  do {
    arm.next = await arm.loop(arm.limiter, keys, arm.next, batch);
    ops += batch;
    spent = cpuMs() - start;
  } while (spent < ms);
  return ops / (spent / 1000);
}

const log = (line: string) => process.stderr.write(`${line}\n`);
for (const [i, row] of rows.entries()) {
  for (const name of armNames) await slice((arms[i] as Record<string, Arm>)[name] as Arm, row.keys, 2 * sliceMs);
}
const ratios = rows.map(() => ({ ab: [] as number[], aa: [] as number[], base: [] as number[], new: [] as number[] }));
for (let round = 0; round < rounds; round++) {
  log(`round ${round + 1}/${rounds}`);
  for (const [i, row] of rows.entries()) {
    const rowArms = arms[i] as Record<(typeof armNames)[number], Arm>;
    // Alternate the order, so neither arm always follows the other.
    const order = round % 2 === 0 ? armNames : ([...armNames].reverse() as (typeof armNames)[number][]);
    const speed: Partial<Record<string, number>> = {};
    for (const name of order) speed[name] = await slice(rowArms[name], row.keys, sliceMs);
    const out = ratios[i] as (typeof ratios)[number];
    out.ab.push((speed.new as number) / (speed.base as number));
    out.aa.push((speed.new as number) / (speed.copy as number));
    out.base.push(speed.base as number);
    out.new.push(speed.new as number);
  }
}

const millions = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const table = markdownTable(
  ['row', `base ${values.base} ops/CPU-s`, 'new ops/CPU-s', 'new / base (median)', 'A/A new / new (median)'],
  rows.map((row, i) => {
    const r = ratios[i] as (typeof ratios)[number];
    return [row.name, millions(median(r.base)), millions(median(r.new)), median(r.ab).toFixed(3), median(r.aa).toFixed(3)];
  }),
);
process.stdout.write(`${command}\n${rounds} rounds of ${sliceMs} ms slices\n\n${table}\n`);
rmSync(scratch, { recursive: true, force: true });
