import { SluiceConfigError } from '../../core/errors.js';
import { declareOptions, type OptionReader } from '../../core/optionSchema.js';
import { PEER_OPTION_NAMES } from '../../core/peerOptionNames.js';
import { adaptClient, type RedisClientLike, type ScriptClient } from './redisClientAdapter.js';

export interface RedisStoreOptions {
  /**
   * The Redis client, which the store never closes: ioredis 5 or 6 (`new Redis(url)`, `new Redis.Cluster(nodes)`, or
   * a Sentinel connection), or node-redis 4 to 6 once connected (`await createClient({ url }).connect()`,
   * `await createCluster({ rootNodes }).connect()`, node-redis 5+ `createSentinel`). Anything else, or a node-redis
   * client not yet connected, throws a SluiceConfigError.
   */
  client: RedisClientLike;
  /**
   * Whose clock decides. `'redis'` (default): the script reads Redis' `TIME`, so app servers with skewed
   * clocks agree. `'client'`: the limiter's `clock` is sent along, for managed Redis services that
   * reject `TIME` in scripts; then the app servers' clocks must agree.
   */
  time?: 'redis' | 'client';
  /**
   * Once Redis denies a key, answer further calls for that key (same or larger cost) locally until the
   * tokens are due, without a round trip. `true` (default) keeps up to 10,000 keys and 4 MiB (as counted, on
   * the safe side of V8's use: 296 + 8 per band bytes per entry, plus its key at 2 bytes a character + 16 to 48;
   * a key longer than 64 characters is held as a 65-character digest); `{ maxKeys, maxBytes }` sets the bounds
   * (`maxBytes` at least 65,536); `false` turns it off. Another server's `reset` of the key is not seen until the entry expires.
   */
  denyCache?: boolean | { maxKeys?: number; maxBytes?: number };
  /**
   * Calls made in the same event-loop tick are decided by one script call (per Cluster slot); this caps
   * how many go into one. Default 16: small enough that several batches are in flight at once, so Node
   * builds the next batch while Redis runs the last (one batch of everything would leave each side
   * idle while the other works), and a burst never blocks Redis for long. 1 turns coalescing off.
   */
  maxBatchSize?: number;
  /**
   * Script calls that may be on their way to a Redis server before new calls for it wait for one to come back
   * (a full batch of `maxBatchSize` never waits). In a Cluster each master counts on its own, so a stalled
   * master holds up only the calls for its own slots. Default 1: under load, the calls that arrive while a batch is at Redis go
   * together in the next one, so each round trip (a socket write and read, the dearest part of a decision)
   * serves more calls; with nothing in flight a call goes at once, so a light load waits for nothing.
   */
  maxBatchesInFlight?: number;
}

/** The deny cache's bounds once read; undefined when it is off. */
export interface DenyCacheBounds {
  readonly maxKeys: number;
  readonly maxBytes: number;
}

const DEFAULT_DENY_CACHE_KEYS = 10_000;
const DEFAULT_DENY_CACHE_BYTES = 4 * 1024 * 1024;
const MIN_DENY_CACHE_BYTES = 64 * 1024;

/** A safe integer ≥ `min`, `fallback` when absent. */
function integerAtLeast(min: number, fallback: number, expected: string): OptionReader<number> {
  return (value, path) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new SluiceConfigError(path, value, expected);
    return value;
  };
}

const DENY_CACHE_OPTIONS = declareOptions(
  {
    maxKeys: integerAtLeast(1, DEFAULT_DENY_CACHE_KEYS, 'must be a positive integer'),
    maxBytes: integerAtLeast(
      MIN_DENY_CACHE_BYTES,
      DEFAULT_DENY_CACHE_BYTES,
      `must be an integer number of bytes ≥ ${MIN_DENY_CACHE_BYTES}`,
    ),
  },
  PEER_OPTION_NAMES,
);

const readDenyCache: OptionReader<DenyCacheBounds | undefined> = (value, path) => {
  if (value === undefined || value === true) return { maxKeys: DEFAULT_DENY_CACHE_KEYS, maxBytes: DEFAULT_DENY_CACHE_BYTES };
  if (value === false) return undefined;
  if (value === null || typeof value !== 'object') throw new SluiceConfigError(path, value, 'must be true, false or { maxKeys, maxBytes }');
  return DENY_CACHE_OPTIONS.read(value, path);
};

/** RedisStore's options, declared once: name → reader (type, default and check). */
export const REDIS_STORE_OPTIONS = declareOptions(
  {
    /** The client as the one interface RedisStore talks to, whichever library made it. */
    client: (value): ScriptClient => adaptClient(value),
    time: (value, path): 'redis' | 'client' => {
      if (value === undefined) return 'redis';
      if (value !== 'redis' && value !== 'client') throw new SluiceConfigError(path, value, "must be 'redis' or 'client'");
      return value;
    },
    denyCache: readDenyCache,
    maxBatchSize: integerAtLeast(1, 16, 'must be a positive integer'),
    maxBatchesInFlight: integerAtLeast(1, 1, 'must be a positive integer'),
  },
  PEER_OPTION_NAMES,
);

/**
 * RedisStore's options read and checked. Throws a SluiceConfigError naming the option and its value: for a
 * value that is not an object, for every unknown name at once, or for the first unusable value.
 */
export function readRedisStoreOptions(options: unknown) {
  if (options === null || typeof options !== 'object') {
    throw new SluiceConfigError('RedisStore options', options, 'must be an object such as { client: new Redis() }');
  }
  return REDIS_STORE_OPTIONS.read(options);
}
