// A TypeScript consumer of the packed tarball, compiled under every module resolution a project may use
// (node10, node16, nodenext, bundler; as CommonJS and as ES modules) and then run.
import assert from 'node:assert/strict';
import express, { type RequestHandler } from 'express';
import Fastify from 'fastify';
import { Cluster, Redis } from 'ioredis';
import { createClient } from 'redis';
import {
  CostExceedsCapacityError,
  type Decision,
  MemoryStore,
  RateLimiter,
  RedisStore as RootRedisStore,
  SluiceArgumentError,
  SluiceError,
} from 'sluice';
import { type ExpressRateLimitOptions, rateLimit } from 'sluice/express';
import sluice, { type FastifyRateLimitOptions } from 'sluice/fastify';
import { RedisStore, type RedisStoreOptions } from 'sluice/redis';

const label = process.argv[2] ?? 'ts';

// Never called: each line must be a type error, so the declarations are real types, not `any`.
export function typeErrors(limiter: RateLimiter): void {
  // @ts-expect-error capacity is a number
  new RateLimiter({ capacity: '2', refillRate: 1 });
  // @ts-expect-error a Decision has no `tokens`
  limiter.consumeSync('k').tokens;
  // @ts-expect-error not an option of rateLimit
  rateLimit({ capacity: 1, refillRate: 1, bogus: true });
  // @ts-expect-error the plugin's hook is 'onRequest' or 'preHandler'
  const hook: FastifyRateLimitOptions['hook'] = 'onSend';
  // @ts-expect-error config.rateLimit is typed through the plugin's FastifyContextConfig augmentation
  Fastify().get('/', { config: { rateLimit: { cost: 'one' } } }, async () => 'ok');
  void hook;
}

async function main(): Promise<void> {
  const store = new MemoryStore({ maxKeys: 1000 });
  const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store });
  const first: Decision = limiter.consumeSync('k');
  const second: Decision = await limiter.consume('k');
  assert.deepEqual([first.remaining, second.remaining, limiter.consumeSync('k').allowed], [1, 0, false]);
  await assert.rejects(
    limiter.consume('k', 3),
    (error: unknown) => error instanceof CostExceedsCapacityError && error instanceof SluiceArgumentError,
  );
  assert.throws(() => new RateLimiter({ capacity: -1, refillRate: 1 }), SluiceError);

  const options: ExpressRateLimitOptions = { limiter: new RateLimiter({ capacity: 1, refillRate: 1, interval: '1h' }) };
  const middleware: RequestHandler = rateLimit(options);
  const app = express();
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const statuses: number[] = [];
  for (let i = 0; i < 2; i++) statuses.push((await fetch(`http://127.0.0.1:${address.port}/`)).status);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  assert.deepEqual(statuses, [200, 429]);

  const fastify = Fastify();
  await fastify.register(sluice, { capacity: 5, refillRate: 5, interval: '1h' });
  fastify.get('/', { config: { rateLimit: { capacity: 1, refillRate: 1, interval: '1h' } } }, async () => 'ok');
  const codes: number[] = [];
  for (let i = 0; i < 2; i++) codes.push((await fastify.inject({ method: 'GET', url: '/' })).statusCode);
  await fastify.close();
  assert.deepEqual(codes, [200, 429]);
  // `sluice/redis` and the deprecated root export are one class.
  assert.equal(RedisStore, RootRedisStore);
  // ioredis' clients fit RedisStore's `client` (lazyConnect: nothing connects).
  const redis = new Redis({ lazyConnect: true });
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  const redisOptions: RedisStoreOptions = { client: redis };
  assert.equal(new RedisStore(redisOptions).client, redis);
  assert.equal(new RedisStore({ client: cluster, time: 'client' }).client, cluster);
  redis.disconnect();
  cluster.disconnect();
  // node-redis' clients fit it too; one that was never connected is refused at construction.
  assert.throws(() => new RedisStore({ client: createClient() }), SluiceError);
  console.log(`${label}: type-checked and ran`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
