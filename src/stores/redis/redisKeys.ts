import { escapeKey } from '../../core/keyNamespace.js';

/**
 * The Redis key of a limiter's first band for `key`, under its `namespace` (see keyNamespace.ts: the escaped
 * prefix, the limits fingerprint and `|`). One band: `namespace` + key, no longer than it must be. Several
 * bands: `namespace{key}`, a hash tag, so that all of a key's bands live in one Cluster slot (band i is
 * `namespace{key}:i`). The user key is escaped either way, so a one-band name holds no brace at all (Redis
 * hashes the whole name) and cannot be mistaken for a several-band one.
 */
export function baseKey(namespace: string, bandCount: number, key: string): string {
  return bandCount === 1 ? namespace + escapeKey(key) : `${namespace}{${escapeKey(key)}}`;
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
