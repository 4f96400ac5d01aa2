/**
 * Reading a user's options object once, into a plain object: its own enumerable keys, then every key and every
 * known option name, each read on its own, so a getter or Proxy trap that throws is reported as the option it
 * belongs to (`blocked`, `config.rateLimit.key`) and the object as a whole (`options`) only when its keys cannot
 * be listed. What is resolved from the snapshot then reads no getter of the top level again.
 */
import { readOption } from '../core/unreadableArgument.js';

/**
 * A plain copy of `options`: its own enumerable string keys (with their values, even undefined) and each name of
 * `known` whose value is not undefined (an inherited option counts as given). `where` prefixes the paths in
 * errors; the object itself is named `where`, or `options` at the top level. Throws a SluiceConfigError naming
 * the object when its keys cannot be listed, or the option whose read throws; a SluiceError goes on as it is.
 */
export function snapshotOptions(options: object, known: readonly string[], where = ''): Record<string, unknown> {
  const keys = readOption(where || 'options', options, () => Object.keys(options));
  const snapshot: Record<string, unknown> = {};
  const own = new Set(keys);
  for (const name of new Set([...keys, ...known])) {
    const value = readOption(where ? `${where}.${name}` : name, options, () => (options as Record<string, unknown>)[name]);
    // Defined rather than assigned: an own key `__proto__` stays a key, not the snapshot's prototype.
    if (value !== undefined || own.has(name))
      Object.defineProperty(snapshot, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return snapshot;
}
