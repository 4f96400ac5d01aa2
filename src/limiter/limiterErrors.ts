/** The errors a limiter throws for bad calls and a bad `blockDuration`, built out of line so the call path stays small. */
import { SluiceArgumentError, SluiceConfigError } from '../core/errors.js';
import { MAX_CLOCK_MS } from '../core/gcra.js';
import type { Store } from '../core/store.js';

/** The `blockDuration` option in whole ms: a block's TAT must stay within 2^52 band units of now, as a wait's. */
export function checkedBlockMs(blockDuration: number | undefined, longestMs: number): number {
  if (blockDuration === undefined) return 0;
  if (blockDuration > longestMs) {
    throw new SluiceConfigError(
      'blockDuration',
      blockDuration,
      `must be at most ${longestMs} ms for these limits (a block is counted exactly)`,
    );
  }
  return blockDuration;
}

export function badKeyError(key: unknown): SluiceArgumentError {
  return new SluiceArgumentError('key', key, 'must be a non-empty string');
}

export function badClockError(now: unknown): SluiceConfigError {
  return new SluiceConfigError('clock', now, `must return ms as a number from 0 to 2^52 (${MAX_CLOCK_MS})`);
}

export function asynchronousStoreError(store: Store, method: string, instead: string): SluiceConfigError {
  return new SluiceConfigError(
    'store',
    store.constructor.name,
    `is asynchronous; ${method} needs a synchronous store such as MemoryStore (use ${instead})`,
  );
}
