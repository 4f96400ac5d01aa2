/**
 * Helpers for tests that talk to the servers started by redisServers.ts: the endpoints (skipping
 * locally, failing with CI=true when Redis is missing), ioredis clients closed after each file, and
 * unique key prefixes so test files never share keys.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { afterAll, inject } from 'vitest';
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
export function redisClusterClient(): Cluster {
  const nodes = redisClusterNodes();
  if (nodes === undefined) throw new Error('no Redis Cluster');
  const client = new Cluster(nodes);
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

/** A key prefix no other test uses. */
export function uniquePrefix(name = 't'): string {
  return `sluice-test:${name}:${randomUUID().slice(0, 8)}:`;
}
