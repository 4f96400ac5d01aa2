export type { BandDecision, Decision } from './decision.js';
export { type Duration, type DurationUnit, parseDuration } from './duration.js';
export {
  CostExceedsCapacityError,
  SluiceArgumentError,
  SluiceConfigError,
  SluiceError,
  SluiceStoreError,
  StoreTimeoutError,
} from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memoryStore.js';
export type {
  DegradedEvent,
  LimitOptions,
  MultiBandOptions,
  RateLimiterOptions,
  SingleBandOptions,
  StoreErrorPolicy,
} from './options.js';
export { RateLimiter, type WaitOptions } from './rateLimiter.js';
export type {
  NodeRedisClient,
  NodeRedisClusterClient,
  NodeRedisSentinelClient,
  RedisClientLike,
  RedisStoreClient,
} from './redisClientAdapter.js';
export { RedisStore, type RedisStoreOptions } from './redisStore.js';
export type { Policy, Store, StoreResult } from './store.js';
export { applyCall, type Band, compileBand } from './tokenBucket.js';
