/**
 * `sluice/redis`: RedisStore and its types. Loads the store, its Lua script and `node:crypto` (for the script's
 * SHA1), and no HTTP code; a memory-only app that imports from `sluice` alone has no use for them.
 */
export type {
  NodeRedisClient,
  NodeRedisClusterClient,
  NodeRedisSentinelClient,
  RedisClientLike,
  RedisStoreClient,
} from './stores/redis/redisClientAdapter.js';
export { RedisStore, type RedisStoreOptions } from './stores/redis/redisStore.js';
