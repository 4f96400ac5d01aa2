/**
 * Keys as the in-process maps hold them (MemoryStore, the Redis store's deny cache), so that the memory a
 * key takes has a bound whatever the caller passes: a long key is held as a fixed-size digest, and a kept
 * key never holds a larger string alive.
 */
import * as crypto from 'node:crypto';

/** Keys up to this many UTF-16 code units are held as they are; longer ones as a digest. */
export const LONGEST_PLAIN_KEY = 64;
/** Length of a digest: one longer than any plain key, so a digest never equals a plain key. */
const DIGEST_LENGTH = LONGEST_PLAIN_KEY + 1;
/**
 * V8 keeps a substring of 13 or more characters (and a concatenation as long) as a view into the strings it
 * came from: a 15-character IP sliced from a 16 KB header would keep the header alive as long as the key.
 */
const SHORTEST_VIEW = 13;

/** In `u` mode a surrogate pair is one code point, so only a lone surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

// crypto.hash (Node ≥ 20.12) is several times faster than createHash for small inputs.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Buffer, encoding: 'hex') => string }).hash;
const sha256Hex: (data: string | Buffer) => string =
  oneShotHash !== undefined
    ? (data) => oneShotHash('sha256', data, 'hex')
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * The key a map holds for `key`: `key` itself up to LONGEST_PLAIN_KEY code units; else a 65-character
 * SHA-256 digest of it, one character longer than any plain key, so it never equals one. A well-formed
 * key is hashed as UTF-8 (`#` + hex); one with a lone surrogate, which UTF-8 cannot encode, as its
 * UTF-16 code units (`~` + hex), so no two keys share a digest short of a SHA-256 collision.
 */
export function heldKey(key: string): string {
  if (key.length <= LONGEST_PLAIN_KEY) return key;
  return LONE_SURROGATE.test(key) ? `~${sha256Hex(Buffer.from(key, 'utf16le'))}` : `#${sha256Hex(key)}`;
}

/**
 * A copy of `key` (a plain key or a digest) that holds no other string alive, to be stored: only taken when a key is
 * first stored, never on a lookup.
 */
export function ownedKey(key: string): string {
  // Concatenating and slicing again makes V8 copy the characters into a string of their own.
  return key.length < SHORTEST_VIEW ? key : ` ${key}`.slice(1);
}

/**
 * Heap bytes an owned key takes at most (V8, 64-bit): a sequential string of 16 header bytes and up to 2 bytes per
 * code unit, rounded to 8; from SHORTEST_VIEW on, the copy of one more unit and a 32-byte view into it.
 */
export function keyBytes(key: string): number {
  const length = key.length;
  if (length < SHORTEST_VIEW) return 16 + ((2 * length + 7) & ~7);
  if (length === DIGEST_LENGTH) return 32 + 16 + ((DIGEST_LENGTH + 1 + 7) & ~7); // hex: one byte per character
  return 32 + 16 + ((2 * (length + 1) + 7) & ~7);
}
