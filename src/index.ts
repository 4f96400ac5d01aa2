export type { BandDecision, Decision } from './core/decision.js';
export { type Duration, type DurationUnit, parseDuration } from './core/duration.js';
export {
  CostExceedsCapacityError,
  SluiceArgumentError,
  SluiceConfigError,
  SluiceError,
  SluiceStoreError,
  StoreTimeoutError,
} from './core/errors.js';
export { applyCall, type Band, type BandCosts, compileBand } from './core/gcra.js';
export type { CallbackStore, Policy, Store, StoreCallback, StoreResult } from './core/store.js';
export type { Cost } from './limiter/callCost.js';
export type {
  DegradedEvent,
  FallbackLimiter,
  LimitOptions,
  MultiBandOptions,
  RateLimiterOptions,
  SingleBandOptions,
  StoreErrorPolicy,
} from './limiter/limiterOptions.js';
export { RateLimiter, type WaitOptions } from './limiter/rateLimiter.js';
export type { NodeRedisClient, NodeRedisClusterClient, NodeRedisSentinelClient, RedisClientLike, RedisStoreClient } from './redis.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory/memoryStore.js';

import { RedisStore as RedisStoreClass, type RedisStoreOptions as RedisStoreClassOptions } from './redis.js';

/** @deprecated Import `RedisStore` from `sluice/redis`: the same class, without loading it into memory-only apps. */
export const RedisStore = RedisStoreClass;
/** @deprecated Import `RedisStore` from `sluice/redis`. */
export type RedisStore = RedisStoreClass;
/** @deprecated Import `RedisStoreOptions` from `sluice/redis`. */
export type RedisStoreOptions = RedisStoreClassOptions;
