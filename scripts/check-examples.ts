/**
 * `npm run check:examples`: type-checks every TypeScript example of the documentation, so an example
 * cannot drift from the API it shows.
 *
 * Each ```ts (or ```typescript) block of the project's markdown files (README.md, docs/, CHANGELOG.md...;
 * not node_modules) is written as a module of its own into .tmp/check-examples/ and type-checked on its own (so one block's `declare module` cannot
 * help another) under `strict`, twice: as an app with `module`/`moduleResolution` `node16` sees it, and as
 * one with `esnext`/`bundler` does. `sluice`, `sluice/express`, `sluice/fastify` (every entry point in
 * tsup.config.ts) resolve to this repository's sources; other packages (ioredis, express, fastify) to its
 * node_modules. Errors are reported at the markdown file and line. Exits 1 if any example fails.
 *
 * Writing examples that pass:
 * - A block imports what it uses (top-level `await` works).
 * - It may use the stand-ins of PRELUDE for the reader's own application code (a route handler, a logger,
 *   a metrics client) without declaring them. Anything else it needs, it declares itself, e.g.
 *   `declare const client: Redis; // your ioredis client`.
 * - A block that cannot be a module (a fragment continuing the block before it, pseudo-code) is marked
 *   `ignore` in its info string (```ts ignore) and skipped. Keep that rare: each skip is listed in the output.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type Example, extractExamples } from './markdownExamples.js';
import { markdownFiles } from './markdownFiles.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.tmp', 'check-examples');

/** Ambient stand-ins for the reader's own code. `handler` fits an Express and a Fastify route alike. */
const PRELUDE = `// Stand-ins for the reader's own application code (see scripts/check-examples.ts).
declare function handler(request: unknown, reply: unknown): void;
declare const log: { warn(...values: unknown[]): void; error(...values: unknown[]): void };
declare const metrics: { increment(name: string, tags?: Record<string, string>): void };
`;

const MODES: Record<string, ts.CompilerOptions> = {
  node16: { module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16 },
  bundler: { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler },
};

/** `sluice` and `sluice/<entry>` → the source file tsup builds that entry point from. */
async function entryPointPaths(): Promise<Record<string, string[]>> {
  const { default: config } = (await import('../tsup.config.js')) as { default: { entry: Record<string, string> } };
  const paths: Record<string, string[]> = {};
  for (const [name, source] of Object.entries(config.entry)) {
    paths[name === 'index' ? 'sluice' : `sluice/${name}`] = [join(root, source)];
  }
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  for (const subpath of Object.keys(packageJson.exports)) {
    if (subpath === './package.json') continue;
    const specifier = subpath === '.' ? 'sluice' : `sluice/${subpath.slice(2)}`;
    if (paths[specifier] === undefined) throw new Error(`package.json exports ${subpath}, but tsup.config.ts has no entry point for it`);
  }
  return paths;
}

/** A compiler host that parses each file once for all the programs of a mode. */
function cachingHost(options: ts.CompilerOptions): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    const cacheKey = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!parsed.has(cacheKey)) parsed.set(cacheKey, getSourceFile(fileName, languageVersion, ...rest));
    return parsed.get(cacheKey);
  };
  return host;
}

function format(diagnostic: ts.Diagnostic, example: Example, mode: string): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
  const file = diagnostic.file;
  if (file === undefined || diagnostic.start === undefined)
    return `${example.doc}:${example.line} [${mode}] error TS${diagnostic.code}: ${message}`;
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
  const where =
    resolve(file.fileName) === fileNameOf(example)
      ? `${example.doc}:${example.line + line}`
      : `${relative(root, file.fileName)}:${line + 1}`;
  return `${where}:${character + 1} [${mode}] error TS${diagnostic.code}: ${message}`;
}

function fileNameOf(example: Example): string {
  return join(outDir, `${example.doc.replace(/[\\/]/g, '_').replace(/\.md$/, '')}.L${example.line}.ts`);
}

async function main(): Promise<number> {
  const docs = markdownFiles(root);
  const examples = docs.flatMap((doc) => extractExamples(doc, readFileSync(join(root, doc), 'utf8')));
  const checked = examples.filter((example) => !example.ignored);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const example of checked) writeFileSync(fileNameOf(example), `${example.code}\n`);
  // ES modules, as the examples' top-level `await` needs under node16 resolution.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  const prelude = join(outDir, 'prelude.d.ts');
  writeFileSync(prelude, PRELUDE);
  const paths = await entryPointPaths();

  let errors = 0;
  for (const [mode, moduleOptions] of Object.entries(MODES)) {
    const options: ts.CompilerOptions = {
      ...moduleOptions,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      paths,
    };
    const host = cachingHost(options);
    let program: ts.Program | undefined;
    for (const example of checked) {
      const fileName = fileNameOf(example);
      program = ts.createProgram([fileName, prelude], options, host, program);
      const sourceFile = program.getSourceFile(fileName)!;
      const diagnostics = [
        ...program.getOptionsDiagnostics(),
        ...program.getSyntacticDiagnostics(sourceFile),
        ...program.getSemanticDiagnostics(sourceFile),
      ];
      for (const diagnostic of diagnostics) console.error(format(diagnostic, example, mode));
      errors += diagnostics.length;
    }
  }
  for (const example of examples.filter((e) => e.ignored)) console.log(`skipped (marked ignore): ${example.doc}:${example.line}`);
  const modes = Object.keys(MODES).join(' and ');
  console.log(
    `${checked.length} examples of ${docs.length} markdown files type-checked under strict, ${modes}: ${errors === 0 ? 'all pass' : `${errors} error${errors === 1 ? '' : 's'}`}`,
  );
  return errors === 0 ? 0 : 1;
}

process.exitCode = await main();
