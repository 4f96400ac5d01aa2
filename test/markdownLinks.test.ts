import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markdownFiles } from '../scripts/markdownFiles.js';
import { anchorsOf, headingSlug, linksOf, npmScriptsNamed } from '../scripts/markdownLinks.js';

const doc = (...lines: string[]) => lines.join('\n');

describe('markdown links', () => {
  it('finds inline links, images and reference definitions in prose, not in code', () => {
    const markdown = doc(
      'See [the docs](docs/redis.md#faults "title") and ![chart](bench/results.svg).', // 1
      '`[code](not-a-link.md)` and [site](https://example.com)', // 2
      '```md', // 3
      '[fenced](not-a-link.md)', // 4
      '```', // 5
      '[ref]: <CHANGELOG.md>', // 6
    );
    expect(linksOf(markdown)).toEqual([
      { line: 1, target: 'docs/redis.md#faults' },
      { line: 1, target: 'bench/results.svg' },
      { line: 2, target: 'https://example.com' },
      { line: 6, target: 'CHANGELOG.md' },
    ]);
  });

  it('gives headings the anchors GitHub gives them', () => {
    expect(headingSlug('`new RateLimiter(options)`')).toBe('new-ratelimiteroptions');
    expect(headingSlug('Writing your own store')).toBe('writing-your-own-store');
    expect(headingSlug('HTTP, inside one server: µs per request')).toBe('http-inside-one-server-µs-per-request');
    expect(headingSlug('See [Redis](docs/redis.md) *now*')).toBe('see-redis-now');
    expect(headingSlug('snake_case stays')).toBe('snake_case-stays');
  });

  it('numbers repeated headings, takes HTML anchors, and skips headings in code', () => {
    const markdown = doc('# Options', '## Options', '```sh', '# not a heading', '```', '### Options ###', '<a id="custom"></a>');
    expect([...anchorsOf(markdown)].sort()).toEqual(['custom', 'options', 'options-1', 'options-2']);
  });

  it('finds the npm scripts a text tells the reader to run, in prose and code', () => {
    const markdown = doc('Run `npm run check:links` or', '```sh', 'npm run bench:http:inprocess -- --quick  # and npm test', '```');
    expect(npmScriptsNamed(markdown)).toEqual([
      { line: 1, name: 'check:links' },
      { line: 3, name: 'bench:http:inprocess' },
    ]);
  });

  it('lists the markdown files outside node_modules, dist and dot-folders', () => {
    const root = mkdtempSync(join(tmpdir(), 'sluice-markdown-'));
    try {
      for (const folder of ['docs/guide', 'node_modules/x', 'dist', '.tmp']) mkdirSync(join(root, folder), { recursive: true });
      for (const file of [
        'README.md',
        'docs/redis.md',
        'docs/guide/start.md',
        'docs/notes.txt',
        'node_modules/x/README.md',
        'dist/a.md',
        '.tmp/b.md',
      ]) {
        writeFileSync(join(root, file), '# x\n');
      }
      expect(markdownFiles(root)).toEqual(['README.md', 'docs/guide/start.md', 'docs/redis.md']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
