/**
 * The `headers` option: which rate-limit header formats a response carries. A format name, `'both'`
 * (draft-8 and legacy), false for none, or an array of format names (at most one draft, e.g.
 * `['draft-7', 'legacy']` as express-rate-limit sends with `standardHeaders: 'draft-7'` and its default
 * `legacyHeaders: true`).
 */
import { SluiceConfigError } from '../core/errors.js';

/** One header format; see headers.ts for what each sends. */
export type HeadersFormat = 'draft-6' | 'draft-7' | 'draft-8' | 'legacy';
export type HeadersMode = HeadersFormat | 'both' | false | readonly HeadersFormat[];

const FORMATS: readonly HeadersFormat[] = ['draft-6', 'draft-7', 'draft-8', 'legacy'];
const MUST_BE = "must be 'draft-8', 'draft-7', 'draft-6', 'legacy', 'both', false, or an array such as ['draft-7', 'legacy']";

/** The formats a mode sends. */
export interface HeadersFormats {
  readonly draft: 'draft-6' | 'draft-7' | 'draft-8' | undefined;
  readonly legacy: boolean;
}

/** Reads the `headers` option (default `'draft-8'`). */
export function readHeadersMode(value: unknown = 'draft-8', path = 'headers'): HeadersMode {
  if (value === false || value === 'both' || FORMATS.includes(value as HeadersFormat)) return value as HeadersMode;
  if (!Array.isArray(value)) throw new SluiceConfigError(path, value, MUST_BE);
  value.forEach((format: unknown, i) => {
    if (!FORMATS.includes(format as HeadersFormat))
      throw new SluiceConfigError(`${path}[${i}]`, format, `must be one of ${FORMATS.join(', ')}`);
  });
  const drafts = value.filter((format) => format !== 'legacy');
  if (drafts.length > 1) throw new SluiceConfigError(path, value, 'may name one draft at most: they set the same headers differently');
  return Object.freeze([...value]) as readonly HeadersFormat[];
}

/** The formats a (read) mode sends. */
export function headersFormats(mode: HeadersMode): HeadersFormats {
  if (mode === false) return { draft: undefined, legacy: false };
  if (mode === 'both') return { draft: 'draft-8', legacy: true };
  if (mode === 'legacy') return { draft: undefined, legacy: true };
  if (typeof mode === 'string') return { draft: mode, legacy: false };
  const draft = mode.find((format) => format !== 'legacy') as HeadersFormats['draft'];
  return { draft, legacy: mode.includes('legacy') };
}
