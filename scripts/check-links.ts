/**
 * `npm run check:links`: what the project's markdown files point at exists. Every relative link or image
 * (`[text](docs/redis.md#faults)`) names a file or folder of the repository and, for a markdown file, an
 * anchor one of its headings gives; every `npm run <name>` names a script of package.json. Links to
 * other sites are not fetched. Exits 1 on any broken one, listed with its file and line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { markdownFiles } from './markdownFiles.js';
import { anchorsOf, linksOf, npmScriptsNamed } from './markdownLinks.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const URL_SCHEME = /^[a-z][a-z\d+.-]*:/i;

const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (anchors === undefined) {
    anchors = anchorsOf(readFileSync(join(root, file), 'utf8'));
    anchorCache.set(file, anchors);
  }
  return anchors;
}

/** Why `target`, linked from `doc`, is broken; undefined when it is not. */
function brokenLink(doc: string, target: string): string | undefined {
  if (URL_SCHEME.test(target) || target.startsWith('//')) return undefined;
  const hash = target.indexOf('#');
  const path = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const file = path === '' ? doc : normalize(path.startsWith('/') ? path.slice(1) : join(dirname(doc), path)).replaceAll('\\', '/');
  if (file.startsWith('..')) return 'points outside the repository';
  if (!existsSync(join(root, file))) return `${file} does not exist`;
  if (anchor !== undefined && anchor !== '' && file.endsWith('.md') && !anchorsOfFile(file).has(anchor)) {
    return `${file} has no heading with the anchor #${anchor}`;
  }
  return undefined;
}

const docs = markdownFiles(root);
const problems: string[] = [];
let links = 0;
for (const doc of docs) {
  const markdown = readFileSync(join(root, doc), 'utf8');
  for (const { line, target } of linksOf(markdown)) {
    links++;
    const broken = brokenLink(doc, target);
    if (broken !== undefined) problems.push(`${doc}:${line}: link ${target}: ${broken}`);
  }
  for (const { line, name } of npmScriptsNamed(markdown)) {
    if (scripts[name] === undefined) problems.push(`${doc}:${line}: npm run ${name}: package.json has no such script`);
  }
}
for (const problem of problems) console.error(problem);
console.log(
  `${links} links in ${docs.length} markdown files checked, and the npm scripts they name: ${problems.length === 0 ? 'all found' : `${problems.length} broken`}`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
