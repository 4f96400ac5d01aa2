/**
 * Keys as the in-process maps hold them: plain up to 64 code units, a 65-character SHA-256 digest beyond,
 * and the heap bytes an owned key is counted at.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { heldKey, keyBytes, LONGEST_PLAIN_KEY, ownedKey } from '../../src/core/keyDigest.js';
import { propertyRuns } from '../setup/propertyRuns.js';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('heldKey', () => {
  it('holds a key of up to 64 code units as it is, and one of 65 as its digest', () => {
    expect(LONGEST_PLAIN_KEY).toBe(64);
    expect(heldKey('')).toBe('');
    expect(heldKey('k')).toBe('k');
    const plain = 'p'.repeat(64);
    expect(heldKey(plain)).toBe(plain);
    const long = 'p'.repeat(65);
    expect(heldKey(long)).toBe(`#${sha256(long)}`);
    expect(heldKey(long)).toHaveLength(65);
  });

  it('hashes a key with a lone surrogate as its UTF-16 code units', () => {
    const key = `${'s'.repeat(70)}\uD800`;
    expect(heldKey(key)).toBe(`~${sha256(Buffer.from(key, 'utf16le'))}`);
  });

  describe('where crypto.hash is missing (Node before 20.12)', () => {
    afterEach(() => {
      vi.doUnmock('node:crypto');
      vi.resetModules();
    });

    it('digests with createHash, to the same digest, counted at the same bytes', async () => {
      vi.resetModules();
      vi.doMock('node:crypto', async (importOriginal) => {
        const crypto = await importOriginal<typeof import('node:crypto')>();
        return { ...crypto, hash: undefined, default: { ...crypto, hash: undefined } };
      });
      const fallback = await import('../../src/core/keyDigest.js');
      const key = 'f'.repeat(100);
      expect(fallback.heldKey(key)).toBe(`#${sha256(key)}`);
      expect(fallback.keyBytes(fallback.heldKey(key))).toBe(keyBytes(heldKey(key)));
      expect(fallback.keyBytes(fallback.heldKey(key))).toBe(120);
    });
  });
});

/** A full garbage collection, in this process (the flag is read when `gc` is first looked up in a new context). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) gc();
}

/** Heap bytes that `count` owned keys of `length` characters, each cut from the end of an 8,000-character string, hold. */
function heldBySlicedKeys(count: number, length: number): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const kept: string[] = [];
  for (let i = 0; i < count; i++) kept.push(ownedKey(`${'h'.repeat(8_000)}${String(i).padStart(length, '0')}`.slice(-length)));
  collectGarbage();
  const growth = process.memoryUsage().heapUsed - before;
  expect(kept).toHaveLength(count);
  return growth;
}

describe('ownedKey', () => {
  it('is equal to the key, short or long', () => {
    for (const length of [0, 1, 12, 13, 14, 64, 65, 1000]) {
      const key = 'o'.repeat(length);
      expect(ownedKey(key)).toBe(key);
    }
  });

  it('keeps no longer string alive, from 13 characters (where V8 would keep a view) on', () => {
    const count = 2_000; // 16 MB of strings the keys were cut from
    for (const length of [12, 13, 20]) expect(heldBySlicedKeys(count, length)).toBeLessThan(count * 1_000);
  });
});

describe('keyBytes', () => {
  it('counts a short key as a 16-byte header and 2 bytes a code unit, rounded to 8', () => {
    expect(keyBytes('')).toBe(16);
    expect(keyBytes('a')).toBe(24);
    expect(keyBytes('a'.repeat(12))).toBe(40);
  });

  it('counts a key from 13 code units on as a copy one unit longer and a 32-byte view', () => {
    expect(keyBytes('a'.repeat(13))).toBe(80);
    expect(keyBytes('a'.repeat(64))).toBe(184);
    expect(keyBytes('a'.repeat(66))).toBe(184);
    expect(keyBytes('a'.repeat(100))).toBe(256);
  });

  it('counts a digest (65 characters of hex) at one byte a character', () => {
    expect(keyBytes(heldKey('d'.repeat(200)))).toBe(120);
  });

  it('is the V8 size of a copied string, rounded up to 8 bytes, for every length but the digest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 13, max: 5000 }).filter((length) => length !== 65),
        (length) => {
          const bytes = keyBytes('k'.repeat(length));
          expect(bytes % 8).toBe(0);
          expect(bytes).toBeGreaterThanOrEqual(48 + 2 * (length + 1));
          expect(bytes).toBeLessThan(48 + 2 * (length + 1) + 8);
        },
      ),
      { numRuns: propertyRuns(200) },
    );
  });
});
