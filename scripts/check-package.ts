/**
 * Checks the package as a user installs it (`npm run check:package`):
 * 1. copies the repository as a fresh clone has it (the files git knows of, committed or not, ignored ones left
 *    out: no dist/, no node_modules/) and runs `npm pack` there, so `prepack` must build;
 * 2. checks the tarball ships every file package.json points to, and no sources or tests;
 * 3. installs the tarball offline into scratch consumer projects and, for every entry point, imports it from
 *    JavaScript (ESM and CJS, and both copies in one process) and type-checks then runs a TypeScript consumer
 *    under node10, node16, nodenext and bundler resolution, as CommonJS and as ES modules;
 * 4. runs publint and arethetypeswrong on the tarball.
 * The consumers get the peer dependencies (express, fastify and their types) as links to this repository's
 * node_modules, so nothing is downloaded.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'scripts', 'package-consumer');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
/** Peers (and types) the consumers link to instead of installing. */
const LINKED_PEERS = ['express', 'fastify', '@types/express', '@types/node'];
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

/** The repository as a fresh clone has it: the files git tracks or would track (not ignored), as they are now. */
function cleanCopy(target: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  for (const file of listed.split('\0')) {
    if (file === '') continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    try {
      copyFileSync(join(root, file), join(target, file));
    } catch (error) {
      // Deleted in the working tree but not yet in the index: a clone of the next commit would not have it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // The build tools only; nothing built.
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

/** Type-checks `source` in `dir` with `compilerOptions`, then runs what tsc emitted. */
function typeCheckAndRun(dir: string, source: string, label: string, compilerOptions: Record<string, unknown>): void {
  const outDir = `out-${label.replace(/[^a-z0-9]+/gi, '-')}`;
  const tsconfig = `tsconfig.${outDir}.json`;
  writeFileSync(
    join(dir, tsconfig),
    JSON.stringify({ compilerOptions: { ...COMMON_TS_OPTIONS, ...compilerOptions, rootDir: '.', outDir }, files: [source] }, null, 2),
  );
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tsconfig], dir);
  run(process.execPath, [join(outDir, source.replace(/\.ts$/, '.js')), label], dir);
}

function main(): void {
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

    for (const consumer of TS_CONSUMERS) {
      step(`TypeScript consumer: ${consumer.name}`);
      typeCheckAndRun(consumer.project === 'cjs' ? cjs : esm, 'consumer.ts', consumer.name, consumer.compilerOptions);
    }

    step('TypeScript consumer with sluice alone (no optional peer installed)');
    const bare = join(work, 'bare');
    consumerProject(bare, tarball, CORE_ONLY);
    for (const consumer of TS_CONSUMERS) {
      const project = subProject(bare, consumer.project, consumer.project === 'cjs' ? 'commonjs' : 'module', ['core-only.ts']);
      typeCheckAndRun(project, 'core-only.ts', `core only, ${consumer.name}`, consumer.compilerOptions);
    }

    step('publint');
    run(bin('publint'), ['run', tarball, '--strict'], root);
    step('arethetypeswrong');
    run(bin('attw'), [tarball], root);
    console.log('\npackage ok');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
