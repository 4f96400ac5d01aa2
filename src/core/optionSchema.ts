import { describeName } from './describeValue.js';
import { SluiceConfigError } from './errors.js';
import { readArgument, readOption } from './unreadableArgument.js';

/**
 * Reads one option: given the value as passed (`undefined` when absent) and its path for errors
 * (`timeoutMs`, `denyCache.maxKeys`), returns the value to use, with the default filled in.
 * Throws a SluiceConfigError naming the path and the value when the value is unusable.
 */
export type OptionReader<T> = (value: unknown, path: string) => T;

/** A component's options, declared once: name → reader. The names, the unknown-option check and the defaults all come from it. */
export type OptionSchema = Readonly<Record<string, OptionReader<unknown>>>;

/** The options of a schema after reading: each name with the type its reader returns. */
export type ReadOptions<S extends OptionSchema> = { readonly [K in keyof S]: ReturnType<S[K]> };

/**
 * Option names that users bring from express-rate-limit, @fastify/rate-limit and rate-limiter-flexible, with
 * what to use in sluice instead. Looked up only for names a component does not know.
 */
export type PeerOptionNames = Readonly<Record<string, string>>;

/** One component's option declaration. */
export interface OptionDeclaration<S extends OptionSchema> {
  /** The option names, in declaration order. */
  readonly names: readonly (keyof S & string)[];
  readonly schema: S;
  /**
   * Checks `options` (must be an object, or undefined when `optional`) and reads every option.
   * Throws one SluiceConfigError listing every unknown name (with the sluice option a peer's name maps to,
   * or the closest known name for a typo), or the first unusable value.
   * `where` prefixes paths in errors (`denyCache`, `limits[1]`); `extraNames` are names another reader owns.
   */
  read(options: unknown, where?: string, extraNames?: readonly string[]): ReadOptions<S>;
  /** Only the unknown-name check of `read`, for an options object read in parts. */
  rejectUnknown(options: object, where?: string, extraNames?: readonly string[]): void;
}

/**
 * Declares a component's options once. Example:
 * ```ts
 * const options = declareOptions({ timeoutMs: positiveNumber(100), onDegraded: optionalFunction() });
 * const { timeoutMs, onDegraded } = options.read(raw);
 * ```
 */
export function declareOptions<S extends OptionSchema>(
  schema: S,
  peerNames: PeerOptionNames = {},
  /** What an object whose reading throws is: a bad option (SluiceConfigError) or a bad argument of a call (SluiceArgumentError). */
  readAs: 'option' | 'argument' = 'option',
): OptionDeclaration<S> {
  const guard = readAs === 'option' ? readOption : readArgument;
  const names = Object.keys(schema) as (keyof S & string)[];
  const rejectUnknown = (options: object, where = '', extraNames: readonly string[] = []) =>
    rejectUnknownOptions(options, extraNames.length === 0 ? names : [...names, ...extraNames], where, peerNames);
  return {
    names,
    schema,
    rejectUnknown,
    read(options, where = '', extraNames = []) {
      const given = options === undefined ? {} : options;
      if (given === null || typeof given !== 'object') throw new SluiceConfigError(where || 'options', options, 'must be an object');
      // An object whose reading throws (a revoked Proxy, a trap or a getter that throws) gets a config error naming it.
      guard(where || 'options', given, () => rejectUnknown(given, where, extraNames));
      const read: Record<string, unknown> = {};
      for (const name of names) {
        const path = where ? `${where}.${name}` : name;
        const value = guard(path, given, () => (given as Record<string, unknown>)[name]);
        // A nested value whose inspection throws (a getter of `blocked.statusCode`, a Proxy) is named by its option.
        read[name] = guard(path, value, () => (schema[name] as OptionReader<unknown>)(value, path));
      }
      return read as ReadOptions<S>;
    },
  };
}

/**
 * Throws one SluiceConfigError naming every key of `options` that is not in `known`: a peer library's option
 * name gets the sluice option to use instead, a typo (up to 2 edits) the closest known name.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], where = '', peerNames: PeerOptionNames = {}): void {
  const unknown = Object.keys(options).filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  const hint = (name: string) => {
    const peer = Object.hasOwn(peerNames, name) ? peerNames[name] : undefined;
    if (peer !== undefined) return `another library's option: ${peer}`;
    const suggestion = closest(name, known);
    return suggestion ? `did you mean \`${suggestion}\`?` : undefined;
  };
  const path = (name: string) => (where ? `${where}.${name}` : name);
  const knownList = `known options: ${known.join(', ')}`;
  if (unknown.length === 1) {
    const name = unknown[0] as string;
    const why = hint(name);
    throw new SluiceConfigError(
      path(name),
      (options as Record<string, unknown>)[name],
      `is not a known option${why ? ` (${why})` : ''}; ${knownList}`,
    );
  }
  const error = new SluiceConfigError(
    unknown.map(path).join(', '),
    unknown,
    // Stryker disable next-line StringLiteral: equivalent, the message is replaced below; only the path and value stay
    'are not known options',
  );
  // The one-option form would clip the list of names: this one names the first few in full, each with its hint,
  // within a bounded length (a message is read in a log line).
  const listed = unknown.slice(0, 3).map((name) => `\`${describeName(path(name))}\``);
  if (unknown.length > 3) listed.push(`${unknown.length - 3} more`);
  const head = `sluice: options ${listed.join(', ')} are not known options`;
  let hints = '';
  for (const name of unknown) {
    const next = `${hints ? `${hints}; ` : ''}\`${describeName(name)}\`: ${hint(name) ?? 'not a known option'}`;
    if (`${head} (${next}; …)`.length > MAX_MESSAGE_LENGTH) {
      hints = hints ? `${hints}; …` : '…';
      break;
    }
    hints = next;
  }
  // The hints come first; the list of known names follows when there is room for it.
  const message = `${head} (${hints})`;
  error.message = `${message}; ${knownList}`.length > MAX_MESSAGE_LENGTH ? message : `${message}; ${knownList}`;
  throw error;
}

/** Longest message of the several-options error, in characters. */
const MAX_MESSAGE_LENGTH = 680;

function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // farther than 2 edits is not a typo
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
