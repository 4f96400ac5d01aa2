/**
 * MemoryStore and the Redis store's deny cache are bounded in bytes, whatever the keys: long keys are held
 * as digests (decided exactly as the keys themselves), and a short key cut from a long string does not keep
 * that string alive. Heap is measured in a child process with full GCs (memoryBound.child.ts), which a mutant of
 * src/ never reaches: the same bounds are checked in-process, as counted, in memoryByteBudget.test.ts and
 * longKeys.test.ts.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const CHILD = fileURLToPath(new URL('./memoryBound.child.ts', import.meta.url));
const MiB = 1024 * 1024;

interface Flood {
  heapGrowth: number;
  bytes: number;
  size: number;
  maxBytes: number;
}

async function flood(target: 'memory' | 'deny', kind: string, count: number, maxBytes?: number): Promise<Flood> {
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    CHILD,
    target,
    kind,
    String(count),
    ...(maxBytes === undefined ? [] : [String(maxBytes)]),
  ];
  const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Flood;
}

describe('memory bounded in bytes', () => {
  it.each([
    ['a fresh 8,000-character key (held as a digest)', 'long'],
    ['a fresh 20-character key cut from an 8 KB string (copied, so the string can go)', 'sliced'],
  ])(
    'MemoryStore (defaults): 20,000 requests with %s hold a few MB, not 160',
    async (_, kind) => {
      const result = await flood('memory', kind, 20_000);
      expect(result.size).toBe(20_001);
      expect(result.maxBytes).toBe(128 * MiB);
      expect(result.heapGrowth / result.size).toBeLessThan(400); // about 200 bytes a key, not 8 KB
      expect(result.heapGrowth).toBeLessThanOrEqual(result.bytes);
    },
    60_000,
  );

  it.each([
    ['100,000 long keys', 'long', 100_000, 4 * MiB],
    ['300,000 IPv4 keys', 'ip', 300_000, 8 * MiB],
  ])(
    'MemoryStore maxBytes: %s stay under the budget, as counted and as measured',
    async (_, kind, count, maxBytes) => {
      const result = await flood('memory', kind, count, maxBytes);
      expect(result.bytes).toBeLessThanOrEqual(maxBytes);
      expect(result.heapGrowth).toBeLessThanOrEqual(maxBytes);
      expect(result.size).toBeGreaterThan(maxBytes / 400); // the budget is used, not wasted
    },
    60_000,
  );

  it('deny cache (default 4 MiB): long and sliced keys stay under the budget', async () => {
    for (const kind of ['long', 'sliced']) {
      const result = await flood('deny', kind, 30_000);
      expect(result.maxBytes).toBe(4 * MiB);
      expect(result.bytes).toBeLessThanOrEqual(4 * MiB);
      expect(result.heapGrowth).toBeLessThanOrEqual(4 * MiB);
      expect(result.size).toBeGreaterThan(5_000);
    }
  }, 60_000);
});
