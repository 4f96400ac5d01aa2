import { SluiceArgumentError, SluiceConfigError, SluiceError } from './errors.js';

/**
 * Runs `read` on an argument's value and turns anything but a SluiceError it throws into a SluiceArgumentError
 * naming `argument`: a value whose very inspection throws (a revoked Proxy, a Proxy trap or a getter that throws)
 * is a bad argument, reported as such rather than as an unrelated TypeError. The message describes the value
 * with describeValue, which never throws.
 */
export function readArgument<T>(argument: string, value: unknown, read: () => T): T {
  return guarded(read, (reason) => new SluiceArgumentError(argument, value, `cannot be read (${reason})`));
}

/**
 * `readArgument` for options read at construction: anything but a SluiceError that `read` throws becomes a
 * SluiceConfigError naming the option `path` (`options`, `interval`, `limits[0]`) and `value`, the object being read.
 */
export function readOption<T>(path: string, value: unknown, read: () => T): T {
  return guarded(read, (reason) => new SluiceConfigError(path, value, `cannot be read (${reason})`));
}

/** Runs `read`; a SluiceError it throws goes on as it is, anything else becomes `unreadable(reason)`. */
function guarded<T>(read: () => T, unreadable: (reason: string) => SluiceError): T {
  try {
    return read();
  } catch (error) {
    if (isSluiceError(error)) throw error;
    throw unreadable(reasonOf(error));
  }
}

/** Whether `error` is one of sluice's own errors; false for a thrown value whose inspection throws. */
function isSluiceError(error: unknown): boolean {
  try {
    return error instanceof SluiceError;
  } catch {
    return false;
  }
}

/** A bounded, never-throwing reason for an error thrown while reading. */
export function reasonOf(error: unknown): string {
  try {
    const message = error instanceof Error ? error.message : String(error);
    return message.length > 80 ? `${message.slice(0, 79)}…` : message;
  } catch {
    return 'its inspection threw';
  }
}
