/**
 * The namespace of a limiter's keys in a store: its `prefix`, escaped, then a fingerprint of its limits, then
 * NAMESPACE_END. Two limiters share buckets exactly when they share a store and a namespace, that is a prefix
 * and limits; so two limiters with other limits on one prefix never take each other's tokens, in any process.
 *
 * The prefix is escaped so that it holds no NAMESPACE_END, and the fingerprint has a fixed length and no
 * NAMESPACE_END either: in `namespace + key` the first NAMESPACE_END is where the key begins, whatever the
 * key holds, so neither a prefix nor a key (`a:b` under `P:` against `b` under `P:a:`) can forge another
 * limiter's names.
 */
import { createHash } from 'node:crypto';
import { SluiceConfigError } from './errors.js';
import type { Band } from './gcra.js';
import type { Policy } from './store.js';

/** Ends every namespace. */
export const NAMESPACE_END = '|';

/**
 * Base64url characters of the limits fingerprint: 24 bits, so two different limits under one prefix get one
 * fingerprint with a chance of one in 16.7 million (a store refuses that case when it sees both limiters).
 */
const FINGERPRINT_LENGTH = 4;

const ESCAPES: Record<string, string> = { '%': '%25', '{': '%7B', '}': '%7D', '|': '%7C' };

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Redis receives names as UTF-8, which turns every lone surrogate into U+FFFD, so `a\uD800` and `a\uDFFF`
 * would be one name: each lone surrogate is written as `%uXXXX` instead (no other escape starts `%u`).
 */
function escapeLoneSurrogates(text: string): string {
  return (text as string & { isWellFormed(): boolean }).isWellFormed()
    ? text
    : text.replace(LONE_SURROGATE, (c) => `%u${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Percent-escapes `%`, `{` and `}`, and lone surrogates: a key can then neither end a Redis hash tag early
 * nor collide with another key.
 */
export function escapeKey(key: string): string {
  return escapeLoneSurrogates(/[%{}]/.test(key) ? key.replace(/[%{}]/g, (c) => ESCAPES[c] as string) : key);
}

/** `escapeKey`, and `|` too: an escaped prefix holds no NAMESPACE_END. */
function escapePrefix(prefix: string): string {
  return escapeLoneSurrogates(/[%{}|]/.test(prefix) ? prefix.replace(/[%{}|]/g, (c) => ESCAPES[c] as string) : prefix);
}

/**
 * A short, stable digest of what decides a bucket: the band count and, per band in order, the capacity and the
 * emission interval (as the reduced `emission / scale` the arithmetic uses). Band names are left out (they
 * only label headers), and equal limits written differently (2 per second, 120 per minute) agree.
 */
export function limitsFingerprint(bands: readonly Band[]): string {
  let text = String(bands.length);
  for (const band of bands) text += `;${band.capacity}/${band.emission}/${band.scale}`;
  return createHash('sha256').update(text).digest('base64url').slice(0, FINGERPRINT_LENGTH);
}

/** The namespace of a limiter with `prefix` and `bands`: escaped prefix + fingerprint + NAMESPACE_END (`sl:Ab3x|`). */
export function keyNamespace(prefix: string, bands: readonly Band[]): string {
  return escapePrefix(prefix) + limitsFingerprint(bands) + NAMESPACE_END;
}

/** True when two policies decide with the same numbers (and so may share buckets). */
export function sameLimits(a: Policy, b: Policy): boolean {
  if (a.bands.length !== b.bands.length) return false;
  return a.bands.every((band, i) => {
    const other = b.bands[i] as Band;
    return band.scale === other.scale && band.emission === other.emission && band.tolerance === other.tolerance;
  });
}

function describeLimits(bands: readonly Band[]): string {
  return bands.map((band) => `${band.capacity} tokens refilled at ${band.refillRate} per ${band.intervalMs} ms`).join(' and ');
}

/**
 * The error for two limiters whose different limits got one namespace: a fingerprint collision, which only a
 * store that sees both can tell (it refuses the second at construction).
 */
export function namespaceConflict(held: Policy, policy: Policy): SluiceConfigError {
  return new SluiceConfigError(
    'prefix',
    policy.prefix,
    `gives a limiter of ${describeLimits(policy.bands)} the same namespace in this store as a limiter of ` +
      `${describeLimits(held.bands)} (their limits fingerprints collide); give one of them another prefix`,
  );
}
