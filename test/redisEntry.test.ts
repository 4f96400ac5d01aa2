/**
 * The `sluice/redis` entry point as built: it loads RedisStore (and its Lua script) and none of the HTTP code, the
 * limiter or MemoryStore; and it is the very class the deprecated root export hands out, in ESM and in CJS.
 * Builds the package (the real tsup build, without declarations) into a scratch folder.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Options } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import tsupConfig from '../tsup.config.js';

const outDir = join(import.meta.dirname, '..', '.tmp', `redis-entry-${process.pid}`);

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  await build({ ...(tsupConfig as Options), outDir, dts: false, sourcemap: false, silent: true, config: false });
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** The text of every file of the build that loading `entry` reads: the entry and the chunks it imports, transitively. */
function loadedFiles(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const text = readFileSync(join(outDir, file), 'utf8');
    files.set(file, text);
    for (const match of text.matchAll(/(?:from|import|require\()\s*['"]\.\/([^'"]+)['"]/g)) visit(match[1] as string);
  };
  visit(entry);
  return files;
}

describe('the sluice/redis entry point', () => {
  for (const entry of ['redis.js', 'redis.cjs']) {
    it(`${entry} loads RedisStore and its script, and no HTTP code, limiter or MemoryStore`, () => {
      const text = [...loadedFiles(entry).values()].join('\n');
      expect(text).toContain('local call = redis.call');
      expect(text).toContain('= class _RedisStore');
      for (const absent of ['RateLimit-Policy', '= class _RateLimiter', '= class _MemoryStore']) expect(text).not.toContain(absent);
    });
  }

  it('exports the class that the deprecated root export hands out (import and require)', async () => {
    const viaImport = await import(pathToFileURL(join(outDir, 'redis.js')).href);
    const rootImport = await import(pathToFileURL(join(outDir, 'index.js')).href);
    expect(Object.keys(viaImport).sort()).toEqual(['RedisStore']);
    expect(viaImport.RedisStore).toBe(rootImport.RedisStore);
    const require = createRequire(join(outDir, 'index.cjs'));
    expect(require('./redis.cjs').RedisStore).toBe(require('./index.cjs').RedisStore);
    expect(viaImport.RedisStore.name).toBe('RedisStore');
  });
});
