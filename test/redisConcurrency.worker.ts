/**
 * One of the processes of redisConcurrency.test.ts: builds a limiter on Redis, waits for 'go', fires
 * `calls` concurrent consumes on one key and reports how many were allowed.
 */
import { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { createClient, createCluster } from 'redis';
import { RateLimiter, type RateLimiterOptions, RedisStore } from '../src/index.js';

interface Job {
  /** Which client library the process uses. */
  library: 'ioredis5' | 'ioredis6' | 'node-redis';
  nodes: { host: string; port: number }[];
  cluster: boolean;
  prefix: string;
  calls: number;
  limits: RateLimiterOptions;
}

const job = JSON.parse(process.env.SLUICE_JOB as string) as Job;
const node = job.nodes[0] as { host: string; port: number };
const url = (endpoint: { host: string; port: number }) => `redis://${endpoint.host}:${endpoint.port}`;
const client =
  job.library === 'node-redis'
    ? job.cluster
      ? await createCluster({ rootNodes: job.nodes.map((endpoint) => ({ url: url(endpoint) })) }).connect()
      : await createClient({ url: url(node) }).connect()
    : job.library === 'ioredis6'
      ? job.cluster
        ? new Cluster6(job.nodes)
        : new Redis6(node)
      : job.cluster
        ? new Cluster(job.nodes)
        : new Redis(node);
const limiter = new RateLimiter({
  ...job.limits,
  prefix: job.prefix,
  timeoutMs: 10_000,
  onStoreError: 'throw',
  store: new RedisStore({ client }),
});

await limiter.peek('warm-up'); // connected and script loaded before the start line
process.send?.({ ready: true });
process.once('message', async () => {
  const decisions = await Promise.all(Array.from({ length: job.calls }, () => limiter.consume('shared')));
  process.send?.({ allowed: decisions.filter((d) => d.allowed).length, degraded: decisions.filter((d) => d.degraded).length });
  if ('destroy' in client) client.destroy();
  else await client.quit();
  process.disconnect();
});
