/**
 * scripts/mutation-partitions.json: every module of src/ and adapters/ is mutated by exactly one part, so that
 * `npm run mutate` reaches each module once and no module's score comes from two runs.
 */
import { readFileSync } from 'node:fs';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';

interface Part {
  name: string;
  mutate: string[];
  tests: string;
}

const root = new URL('..', import.meta.url).pathname;
const { parts } = JSON.parse(readFileSync(new URL('../scripts/mutation-partitions.json', import.meta.url), 'utf8')) as {
  parts: Part[];
};
const modules = globSync(['src/**/*.ts', 'adapters/**/*.ts'], { cwd: root }).sort();

describe('mutation partitions', () => {
  it('mutate every module of src/ and adapters/ in exactly one part', () => {
    const partsOf = new Map<string, string[]>(modules.map((file) => [file, []]));
    for (const part of parts) {
      for (const file of globSync(part.mutate, { cwd: root })) partsOf.get(file)?.push(part.name);
    }
    const notOnce = [...partsOf].filter(([, names]) => names.length !== 1);
    expect(notOnce).toEqual([]);
    expect(modules.length).toBeGreaterThan(50);
  });

  it('have distinct names and a known test set each', () => {
    const names = parts.map((part) => part.name);
    expect(new Set(names).size).toBe(names.length);
    for (const part of parts) expect(['unit', 'http', 'redis']).toContain(part.tests);
  });
});
