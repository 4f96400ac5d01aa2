/**
 * Checks the package as a user installs it (`npm run check:package`):
 * 1. copies the repository as a fresh clone has it (the files git knows of, committed or not, ignored ones left
 *    out: no dist/, no node_modules/) and runs `npm pack` there, so `prepack` must build;
 * 2. checks the tarball ships every file package.json points to, and no sources or tests;
 * 3. installs the tarball offline into scratch consumer projects and, for every entry point, imports it from
 *    JavaScript (ESM and CJS, and both copies in one process) and type-checks then runs a TypeScript consumer
 *    under node10, node16, nodenext and bundler resolution, as CommonJS and as ES modules;
 * 4. runs publint and arethetypeswrong on the tarball.
 * The consumers get the peer dependencies (express, fastify, ioredis, redis and types) as links to this repository's
 * node_modules, so nothing is downloaded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'scripts', 'package-consumer');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
/** Peers (and types) the consumers link to instead of installing. */
const LINKED_PEERS = ['express', 'fastify', 'ioredis', 'redis', '@types/express', '@types/node'];
/** What a project that uses only the core has: node's types, no optional peer. */
const CORE_ONLY = ['@types/node'];

interface TsConsumer {
  readonly name: string;
  readonly project: 'cjs' | 'esm';
  readonly compilerOptions: Record<string, unknown>;
}

/** Every resolution a consumer project may use; `commonjs` alone means node10, TypeScript's default for it. */
const TS_CONSUMERS: readonly TsConsumer[] = [
  { name: 'commonjs + default resolution (node10)', project: 'cjs', compilerOptions: { module: 'commonjs' } },
  { name: 'commonjs + moduleResolution node', project: 'cjs', compilerOptions: { module: 'commonjs', moduleResolution: 'node' } },
  { name: 'node16, CJS project', project: 'cjs', compilerOptions: { module: 'node16' } },
  { name: 'nodenext, CJS project', project: 'cjs', compilerOptions: { module: 'nodenext' } },
  { name: 'node16, ESM project', project: 'esm', compilerOptions: { module: 'node16' } },
  { name: 'nodenext, ESM project', project: 'esm', compilerOptions: { module: 'nodenext' } },
  { name: 'bundler (esnext)', project: 'esm', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
  { name: 'bundler (preserve)', project: 'esm', compilerOptions: { module: 'preserve', moduleResolution: 'bundler' } },
];

const COMMON_TS_OPTIONS = {
  target: 'es2022',
  lib: ['es2023'],
  types: ['node'],
  strict: true,
  esModuleInterop: true,
  // Check sluice's declarations too, as a project without skipLibCheck does.
  skipLibCheck: false,
};

function run(command: string, args: readonly string[], cwd: string): void {
  execFileSync(command, args, { cwd, stdio: 'inherit' });
}

function step(title: string): void {
  console.log(`\n== ${title}`);
}

/** Folders a fresh clone has not got: installed, built or scratch. */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', 'dist', '.tmp', 'coverage']);

/** The files a fresh clone has: what git tracks or would track (not ignored), as they are now. */
function cloneFiles(): string[] {
  try {
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // A file deleted in the working tree but still in the index: the next commit's clone would not have it.
    return listed.split('\0').filter((file) => file !== '' && existsSync(join(root, file)));
  } catch {
    // Not a git checkout (an unpacked source archive): everything but what installing and building make.
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)))
      .filter((file) => !file.split(sep).some((part) => NOT_IN_A_CLONE.has(part)));
  }
}

/** The repository as a fresh clone has it, with this checkout's node_modules linked in for the build tools. */
function cleanCopy(target: string): void {
  for (const file of cloneFiles()) {
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(join(root, file), join(target, file));
  }
  symlinkSync(join(root, 'node_modules'), join(target, 'node_modules'), 'dir');
}

/** Every path package.json points to (main, module, types, exports, typesVersions). */
function referencedFiles(manifest: Record<string, unknown>): Set<string> {
  const files = new Set<string>();
  const collect = (value: unknown): void => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  for (const field of ['main', 'module', 'types', 'exports', 'typesVersions']) collect(manifest[field]);
  return files;
}

function checkTarball(tarball: string, manifest: Record<string, unknown>): void {
  const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^package\//, ''));
  console.log(entries.map((entry) => `  ${entry}`).join('\n'));
  const shipped = new Set(entries);
  const missing = [...referencedFiles(manifest)].filter((file) => !shipped.has(file));
  if (missing.length > 0) throw new Error(`the tarball lacks files package.json points to: ${missing.join(', ')}`);
  const extra = entries.filter((entry) => /^(src|test|bench|adapters|demo|scripts)\//.test(entry));
  if (extra.length > 0) throw new Error(`the tarball ships sources or tests (check package.json files): ${extra.join(', ')}`);
}

/** A project with the tarball installed (offline: it has no dependencies) and `links` linked in. */
function consumerProject(dir: string, tarball: string, links: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'sluice-consumer', private: true }, null, 2)}\n`);
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', tarball], dir);
  for (const peer of links) {
    mkdirSync(dirname(join(dir, 'node_modules', peer)), { recursive: true });
    symlinkSync(join(root, 'node_modules', peer), join(dir, 'node_modules', peer), 'dir');
  }
}

/** A sub-project of `parent` whose package.json says `type`, holding `files` from the fixtures. */
function subProject(parent: string, name: string, type: 'commonjs' | 'module', files: readonly string[]): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `sluice-consumer-${name}`, private: true, type }, null, 2)}\n`);
  for (const file of files) copyFileSync(join(fixtures, file), join(dir, file));
  return dir;
}

interface TsJob {
  readonly label: string;
  readonly dir: string;
  readonly source: string;
  readonly compilerOptions: Record<string, unknown>;
}

/** Runs `command` and resolves with its exit code and everything it printed. */
function runCaptured(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Type-checks the job's source with its options, then runs what tsc emitted. Resolves false on a failure. */
async function typeCheckAndRun(job: TsJob): Promise<boolean> {
  const outDir = `out-${job.label.replace(/[^a-z0-9]+/gi, '-')}`;
  const tsconfig = `tsconfig.${outDir}.json`;
  const compilerOptions = { ...COMMON_TS_OPTIONS, ...job.compilerOptions, rootDir: '.', outDir };
  writeFileSync(join(job.dir, tsconfig), JSON.stringify({ compilerOptions, files: [job.source] }, null, 2));
  const tsc = await runCaptured(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], job.dir);
  const ran =
    tsc.code === 0
      ? await runCaptured(process.execPath, [join(outDir, job.source.replace(/\.ts$/, '.js')), job.label], job.dir)
      : undefined;
  const ok = tsc.code === 0 && ran?.code === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${job.label}`);
  const output = `${tsc.output}${ran?.output ?? ''}`.trim();
  if (!ok && output !== '') console.log(output.replace(/^/gm, '     '));
  return ok;
}

/** Runs the jobs a few at a time (tsc is single-threaded); throws naming the ones that failed. */
async function typeCheckAll(jobs: readonly TsJob[]): Promise<void> {
  const queue = [...jobs];
  const failed: string[] = [];
  const worker = async (): Promise<void> => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) if (!(await typeCheckAndRun(job))) failed.push(job.label);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(4, availableParallelism())) }, worker));
  if (failed.length > 0) throw new Error(`TypeScript consumers failed: ${failed.join('; ')}`);
}

async function main(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const work = mkdtempSync(join(tmpdir(), 'sluice-package-'));
  try {
    step('pack a clean copy (no dist/: prepack builds)');
    const clone = join(work, 'clone');
    cleanCopy(clone);
    const packed = join(work, 'packed');
    mkdirSync(packed);
    run('npm', ['pack', '--pack-destination', packed, '--loglevel=error'], clone);
    const tarballs = readdirSync(packed).filter((file) => file.endsWith('.tgz'));
    if (tarballs.length !== 1) throw new Error(`expected one tarball, got ${tarballs.join(', ') || 'none'}`);
    const tarball = join(packed, tarballs[0] as string);

    step(`contents of ${tarballs[0]}`);
    checkTarball(tarball, manifest);

    step('JavaScript consumers: require, import, and both copies in one process');
    const consumers = join(work, 'consumers');
    consumerProject(consumers, tarball, LINKED_PEERS);
    const cjs = subProject(consumers, 'cjs', 'commonjs', ['scenario.cjs', 'consumer.cjs', 'consumer.ts']);
    const esm = subProject(consumers, 'esm', 'module', ['scenario.cjs', 'consumer.mjs', 'consumer.ts']);
    run(process.execPath, ['consumer.cjs'], cjs);
    run(process.execPath, ['consumer.mjs'], esm);

    step('TypeScript consumers: every resolution, as CommonJS and as ES modules; then sluice alone (no optional peer)');
    const bare = join(work, 'bare');
    consumerProject(bare, tarball, CORE_ONLY);
    const jobs: TsJob[] = [];
    for (const consumer of TS_CONSUMERS) {
      const { name, project, compilerOptions } = consumer;
      jobs.push({ label: name, dir: project === 'cjs' ? cjs : esm, source: 'consumer.ts', compilerOptions });
      const alone = subProject(bare, project, project === 'cjs' ? 'commonjs' : 'module', ['core-only.ts']);
      jobs.push({ label: `core only, ${name}`, dir: alone, source: 'core-only.ts', compilerOptions });
    }
    await typeCheckAll(jobs);

    step('publint');
    run(bin('publint'), ['run', tarball, '--strict'], root);
    step('arethetypeswrong');
    run(bin('attw'), [tarball], root);
    console.log('\npackage ok');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
