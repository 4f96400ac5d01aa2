/**
 * Rate-limit response headers, one small pure function per format:
 * - `draft-8`: the IETF httpapi-ratelimit-headers syntax since draft-08 (unchanged through draft-11):
 *   `RateLimit-Policy: "name";q=<capacity>;w=<seconds to refill from empty>` (one item per band, a
 *   constant computed once per limiter) and `RateLimit: "name";r=<remaining>;t=<seconds>` per response.
 * - `draft-7` (express-rate-limit's `standardHeaders: 'draft-7'`): `RateLimit-Policy: <limit>;w=<seconds>` and
 *   `RateLimit: limit=<limit>, remaining=<remaining>, reset=<seconds until full>`.
 * - `draft-6` (express-rate-limit's `'draft-6'`): the same `RateLimit-Policy`, and `RateLimit-Limit`,
 *   `RateLimit-Remaining`, `RateLimit-Reset` (seconds until full) as separate headers.
 *   Both report the band the decision reports (the one that refused, or the one with the fewest tokens
 *   left); their `RateLimit-Policy` lists every band.
 * - `legacy`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (seconds from now until
 *   the bucket is full, as @fastify/rate-limit does: no clock in it, so no clock skew between hosts).
 * - `Retry-After` (whole seconds, rounded up) goes on every refusal, whatever the format.
 */
import type { BandDecision, Decision } from '../core/decision.js';
import type { Band } from '../core/gcra.js';

import { type HeadersMode, headersFormats } from './headersMode.js';

export type { HeadersMode } from './headersMode.js';
export { readHeadersMode } from './headersMode.js';

/** Sets one response header; a plain function per adapter, so writing headers allocates no closure. */
export type SetHeader<Res> = (res: Res, name: string, value: string) => void;

/** A band's policy name: its `name`, else `default` for a one-band limiter, else `band-<n>` (1-based). */
export function policyName(band: Band, index: number, count: number): string {
  return band.name ?? (count === 1 ? 'default' : `band-${index + 1}`);
}

/** Seconds to refill a band from empty, rounded up: the window `w` of its policy. */
function windowSeconds(band: Band): number {
  return Math.ceil((band.capacity * band.intervalMs) / band.refillRate / 1000);
}

/** The `RateLimit-Policy` value of a limiter: one item per band. */
export function policyHeader(bands: readonly Band[]): string {
  return bands
    .map((band, i) => `"${policyName(band, i, bands.length)}";q=${Math.floor(band.capacity)};w=${windowSeconds(band)}`)
    .join(', ');
}

/** The `RateLimit-Policy` value of drafts 6 and 7: `<limit>;w=<seconds>` per band. */
export function oldPolicyHeader(bands: readonly Band[]): string {
  return bands.map((band) => `${Math.floor(band.capacity)};w=${windowSeconds(band)}`).join(', ');
}

/** Whole seconds, rounded up, of a duration in ms. */
export function toSeconds(ms: number): number {
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

/**
 * `t` of a band: on a refusal, seconds until the call could succeed; when allowed and a token is left,
 * 0; when allowed and the bucket is now empty, seconds until the next whole token.
 */
export function restoreSeconds(
  band: Band,
  state: { readonly remaining: number; readonly retryAfterMs: number; readonly resetMs: number },
  allowed: boolean,
): number {
  if (!allowed) return toSeconds(state.retryAfterMs);
  if (state.remaining >= 1) return 0;
  // The bucket is full `resetMs` from now; the next token arrives (capacity − 1) tokens' time before that.
  return toSeconds(state.resetMs - ((band.capacity - 1) * band.intervalMs) / band.refillRate);
}

/** The names of the headers `RateLimitHeaders` writes, as the standards spell them. */
const HEADER_NAMES = {
  policy: 'RateLimit-Policy',
  rateLimit: 'RateLimit',
  limit: 'RateLimit-Limit',
  remaining: 'RateLimit-Remaining',
  reset: 'RateLimit-Reset',
  legacyLimit: 'X-RateLimit-Limit',
  legacyRemaining: 'X-RateLimit-Remaining',
  legacyReset: 'X-RateLimit-Reset',
  retryAfter: 'Retry-After',
} as const;

type HeaderNames = { readonly [K in keyof typeof HEADER_NAMES]: string };

/**
 * The same names in lower case, for a framework that lowercases every name it is given (Fastify's
 * `reply.header`): a name that is lower case already is not copied into a new string on every response.
 */
const LOWER_CASE_HEADER_NAMES: HeaderNames = Object.fromEntries(
  Object.entries(HEADER_NAMES).map(([field, name]) => [field, name.toLowerCase()]),
) as HeaderNames;

/** Precomputed header text for one limiter: everything but the per-response numbers. */
export class RateLimitHeaders {
  /** The constant `RateLimit-Policy` value. */
  readonly policy: string;
  private readonly bands: readonly Band[];
  /** Per band, `"name";r=`: each `RateLimit` item is this, the remaining count, `;t=` and seconds. */
  private readonly itemPrefixes: readonly string[];
  /** The `RateLimit-Policy` value of drafts 6 and 7. */
  private readonly oldPolicy: string;
  private readonly draft: 'draft-6' | 'draft-7' | 'draft-8' | undefined;
  private readonly legacy: boolean;
  private readonly names: HeaderNames;

  /** `lowerCaseNames`: pass the header names in lower case (for a framework that lowercases them anyway). */
  constructor(bands: readonly Band[], mode: HeadersMode, lowerCaseNames = false) {
    this.bands = bands;
    this.names = lowerCaseNames ? LOWER_CASE_HEADER_NAMES : HEADER_NAMES;
    this.policy = policyHeader(bands);
    this.itemPrefixes = bands.map((band, i) => `"${policyName(band, i, bands.length)}";r=`);
    this.oldPolicy = oldPolicyHeader(bands);
    const formats = headersFormats(mode);
    this.draft = formats.draft;
    this.legacy = formats.legacy;
  }

  /** The `RateLimit` value for a decision. */
  rateLimit(decision: Decision): string {
    const bands = decision.bands;
    if (bands === undefined || bands.length !== this.bands.length) {
      // One band, or a degraded answer that knows only the band it reports: one item.
      return `${this.itemPrefixes[0]}${decision.remaining};t=${restoreSeconds(this.bands[0] as Band, decision, decision.allowed)}`;
    }
    let value = '';
    for (let i = 0; i < bands.length; i++) {
      const state = bands[i] as BandDecision;
      value += `${i === 0 ? '' : ', '}${this.itemPrefixes[i]}${state.remaining};t=${restoreSeconds(state.band, state, decision.allowed)}`;
    }
    return value;
  }

  /** Writes the configured headers for `decision`, and `Retry-After` when it is a refusal. */
  write<Res>(res: Res, decision: Decision, set: SetHeader<Res>): void {
    const names = this.names;
    if (this.draft === 'draft-8') {
      set(res, names.policy, this.policy);
      set(res, names.rateLimit, this.rateLimit(decision));
    } else if (this.draft !== undefined) {
      const limit = Math.floor(decision.limit);
      const reset = toSeconds(decision.resetMs);
      set(res, names.policy, this.oldPolicy);
      if (this.draft === 'draft-7') {
        set(res, names.rateLimit, `limit=${limit}, remaining=${decision.remaining}, reset=${reset}`);
      } else {
        set(res, names.limit, String(limit));
        set(res, names.remaining, String(decision.remaining));
        set(res, names.reset, String(reset));
      }
    }
    if (this.legacy) {
      set(res, names.legacyLimit, String(Math.floor(decision.limit)));
      set(res, names.legacyRemaining, String(decision.remaining));
      set(res, names.legacyReset, String(toSeconds(decision.resetMs)));
    }
    if (!decision.allowed) set(res, names.retryAfter, String(toSeconds(decision.retryAfterMs)));
  }
}
