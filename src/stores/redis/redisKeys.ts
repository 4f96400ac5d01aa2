import { heldKey, LONGEST_PLAIN_KEY } from '../../core/keyDigest.js';
import { escapeKey } from '../../core/keyNamespace.js';

/**
 * The Redis key of a limiter's first band for `key`, under its `namespace` (see keyNamespace.ts: the escaped
 * prefix, the limits fingerprint and `|`). One band: `namespace` + key, no longer than it must be. Several
 * bands: `namespace{key}`, a hash tag, so that all of a key's bands live in one Cluster slot (band i is
 * `namespace{key}:i`). The user key is escaped either way, so a one-band name holds no brace at all (Redis
 * hashes the whole name) and cannot be mistaken for a several-band one. A key longer than LONGEST_PLAIN_KEY
 * stands as its 65-character digest (see heldKey: `#` or `~` and hex, nothing to escape, never equal to a
 * shorter key's escaped form, which holds `%` when it grows that long), so Redis never stores or receives a
 * name longer than the namespace and a digest; several bands keep the digest as their hash tag, one slot.
 */
export function baseKey(namespace: string, bandCount: number, key: string): string {
  const stored = key.length > LONGEST_PLAIN_KEY ? heldKey(key) : escapeKey(key);
  return bandCount === 1 ? namespace + stored : `${namespace}{${stored}}`;
}

/** The Redis key of band `band` (0-based) whose first band's key is `base`. */
export function bandKey(base: string, band: number): string {
  return band === 0 ? base : `${base}:${band}`;
}

/** The Redis keys of all `count` bands whose first band's key is `base`, in band order. */
export function bandKeys(base: string, count: number): string[] {
  const keys: string[] = [];
  pushBandKeys(keys, base, count);
  return keys;
}

/** Appends the Redis keys of all `count` bands whose first band's key is `base` to `keys`, in band order. */
export function pushBandKeys(keys: string[], base: string, count: number): void {
  keys.push(base);
  for (let i = 1; i < count; i++) keys.push(`${base}:${i}`);
}
