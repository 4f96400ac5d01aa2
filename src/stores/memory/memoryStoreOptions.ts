import { type Duration, parseDuration } from '../../core/duration.js';
import { SluiceConfigError } from '../../core/errors.js';
import { declareOptions, type ReadOptions } from '../../core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../../core/peerOptionNames.js';

export interface MemoryStoreOptions {
  /**
   * Most keys kept at once (over all limiters sharing the store). When full, a new key evicts one that
   * has not been used recently; an evicted key starts again with a full bucket. Default 1,000,000.
   */
  maxKeys?: number;
  /**
   * Most heap bytes the keys and their buckets may take (over all limiters sharing the store), as the store
   * counts them, on the safe side of what V8 uses: per key 122 + 16 per band (32 for a limit whose emission
   * interval is a fraction of a ms), plus its string at 2 bytes a character (+ 16 to 48). A key longer than 64 characters is held as a 65-character SHA-256 digest, so
   * one key of a one-band limiter counts at most 322 bytes, however long it is (an IPv4 address: 170 to 218).
   * When full, a new key evicts as with `maxKeys`. Default 134,217,728 (128 MiB); at least 65,536.
   */
  maxBytes?: number;
  /** How often an `unref`'d timer drops keys whose buckets are full again, or `false` for never. Default `'1m'`. */
  sweepInterval?: Duration | false;
}

const DEFAULT_MAX_BYTES = 128 * 1024 * 1024;
const MIN_MAX_BYTES = 64 * 1024;

/** Every option of a MemoryStore, with its check and default. */
export const MEMORY_STORE_OPTIONS = declareOptions(
  {
    maxKeys: (value: unknown, path: string): number => {
      if (value === undefined) return 1_000_000;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
        throw new SluiceConfigError(path, value, 'must be a positive integer');
      }
      return value;
    },
    maxBytes: (value: unknown, path: string): number => {
      if (value === undefined) return DEFAULT_MAX_BYTES;
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < MIN_MAX_BYTES) {
        throw new SluiceConfigError(path, value, `must be an integer number of bytes ≥ ${MIN_MAX_BYTES}`);
      }
      return value;
    },
    /** ms between sweeps, or false for never. */
    sweepInterval: (value: unknown, path: string): number | false => {
      if (value === false) return false;
      return parseDuration(value === undefined ? '1m' : value, path);
    },
  },
  PEER_OPTION_NAMES,
);

export type ReadMemoryStoreOptions = ReadOptions<typeof MEMORY_STORE_OPTIONS.schema>;

/** Reads a MemoryStore's options; throws a SluiceConfigError naming every unknown option, or the first unusable value. */
export function readMemoryStoreOptions(options: unknown): ReadMemoryStoreOptions {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('MemoryStore options', options, 'must be an object');
  }
  return MEMORY_STORE_OPTIONS.read(options);
}
