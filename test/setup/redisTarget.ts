/**
 * Helpers for tests that talk to the servers started by redisServers.ts: the endpoints (skipping
 * locally, failing with CI=true when Redis is missing), ioredis clients closed after each file, and
 * unique key prefixes so test files never share keys.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { createClient, createCluster } from 'redis';
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4';
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5';
import { afterAll, inject } from 'vitest';
import type { NodeRedisClient, NodeRedisClusterClient } from '../../src/index.js';
import type { RedisEndpoint } from './redisServers.js';

function missing(what: string): undefined {
  if (process.env.CI === 'true') throw new Error(`${what} was not started by the test setup, and CI=true: failing instead of skipping`);
  return undefined;
}

/** The shared redis-server, or undefined (locally, without redis-server: skip with `describe.skipIf`). */
export function redisOptions(): RedisEndpoint | undefined {
  return inject('redis') ?? missing('redis-server');
}

/** The shared 3-master cluster's nodes, or undefined as above. */
export function redisClusterNodes(): RedisEndpoint[] | undefined {
  return inject('redisCluster')?.nodes ?? missing('Redis Cluster');
}

const clients: (Redis | Cluster | Redis6 | Cluster6)[] = [];
afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.quit().catch(() => client.disconnect())));
});

/** An ioredis client on `endpoint` (default: the shared server), quit after the test file. */
export function redisClient(endpoint: RedisEndpoint | undefined = redisOptions(), options: RedisOptions = {}): Redis {
  if (endpoint === undefined) throw new Error('no Redis endpoint');
  const client = new Redis({ host: endpoint.host, port: endpoint.port, ...options });
  clients.push(client);
  return client;
}

/** An ioredis Cluster client on the shared cluster, quit after the test file. */
export function redisClusterClient(options: ClusterOptions = {}): Cluster {
  const nodes = redisClusterNodes();
  if (nodes === undefined) throw new Error('no Redis Cluster');
  const client = new Cluster(nodes, options);
  clients.push(client);
  return client;
}

/** An ioredis 6 client on the shared server (the second supported major), quit after the test file. */
export function ioredis6Client(): Redis6 {
  const endpoint = redisOptions();
  if (endpoint === undefined) throw new Error('no Redis endpoint');
  const client = new Redis6({ host: endpoint.host, port: endpoint.port });
  clients.push(client);
  return client;
}

/** An ioredis 6 Cluster client on the shared cluster, quit after the test file. */
export function ioredis6ClusterClient(): Cluster6 {
  const nodes = redisClusterNodes();
  if (nodes === undefined) throw new Error('no Redis Cluster');
  const client = new Cluster6(nodes);
  clients.push(client);
  return client;
}

/** The node-redis majors the tests run on (`redis` is the newest; `redis4` and `redis5` are aliases). */
export const NODE_REDIS_MAJORS = [4, 5, 6] as const;
export type NodeRedisMajor = (typeof NODE_REDIS_MAJORS)[number];

interface Closable {
  destroy?: () => unknown;
  disconnect?: () => unknown;
}
const nodeRedisClients: Closable[] = [];
afterAll(async () => {
  for (const client of nodeRedisClients.splice(0)) {
    try {
      await (client.destroy ?? client.disconnect)?.call(client);
    } catch {
      // already closed by the test
    }
  }
});

/** Options of createClient that the tests vary: the protocol (node-redis 5+) and v4's legacy mode. */
export interface NodeRedisOptions {
  RESP?: 2 | 3;
  legacyMode?: boolean;
  /** Leave the client unconnected (for tests of construction errors). */
  connect?: false;
}

/** A node-redis client of `major` on `endpoint` (default: the shared server), connected, closed after the test file. */
export async function nodeRedisClient(
  major: NodeRedisMajor = 6,
  endpoint: RedisEndpoint | undefined = redisOptions(),
  options: NodeRedisOptions = {},
): Promise<NodeRedisClient> {
  if (endpoint === undefined) throw new Error('no Redis endpoint');
  const url = `redis://${endpoint.host}:${endpoint.port}`;
  const { connect, ...rest } = options;
  const client =
    major === 4 ? createClient4({ url, ...rest }) : major === 5 ? createClient5({ url, ...rest }) : createClient({ url, ...rest });
  client.on('error', () => undefined); // connection errors are expected in fault tests; node-redis would throw without a listener
  nodeRedisClients.push(client);
  if (connect !== false) await client.connect();
  return client as unknown as NodeRedisClient;
}

/** A node-redis Cluster client of `major` on the shared cluster, connected, closed after the test file. */
export async function nodeRedisClusterClient(major: NodeRedisMajor = 6): Promise<NodeRedisClusterClient> {
  const nodes = redisClusterNodes();
  if (nodes === undefined) throw new Error('no Redis Cluster');
  const rootNodes = nodes.map((node) => ({ url: `redis://${node.host}:${node.port}` }));
  const client = major === 4 ? createCluster4({ rootNodes }) : major === 5 ? createCluster5({ rootNodes }) : createCluster({ rootNodes });
  client.on('error', () => undefined);
  nodeRedisClients.push(client);
  await client.connect();
  return client as unknown as NodeRedisClusterClient;
}

/**
 * The store timeout (ms) of tests about decisions on a real Redis, not about timeouts: in a loaded test run a
 * Redis call (and a new cluster client's first fetch of the slot map) can outlast the default 100 ms, and
 * onStoreError would answer instead. Tests of store failures set their own.
 */
export const DECISION_TIMEOUT_MS = 5000;

/** A key prefix no other test uses. */
export function uniquePrefix(name = 't'): string {
  return `sluice-test:${name}:${randomUUID().slice(0, 8)}:`;
}
