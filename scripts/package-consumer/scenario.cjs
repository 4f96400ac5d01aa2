'use strict';
/**
 * What every JavaScript consumer of the packed tarball checks, on the modules it loaded (through `import` or
 * `require`): each entry point exports something, a limiter decides, the errors are SluiceErrors, and the
 * Express middleware and the Fastify plugin limit a real app. `crossCopies` hands objects built by one copy of
 * sluice (ESM or CJS) to the other, as an app that loads both does.
 */
const assert = require('node:assert/strict');

function checkExports(label, modules) {
  for (const [entry, module] of Object.entries(modules)) {
    const names = Object.keys(module).filter((name) => name !== '__esModule');
    assert.ok(names.length > 0, `${label}: ${entry} has no exports`);
    console.log(`${label} ${entry}: ${names.sort().join(', ')}`);
  }
}

async function expressStatuses(express, rateLimit, options) {
  const app = express();
  app.use(rateLimit(options));
  app.get('/', (_req, res) => {
    res.send('ok');
  });
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const url = `http://127.0.0.1:${server.address().port}/`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(url)).status);
    return statuses;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function fastifyStatuses(Fastify, plugin, options) {
  const app = Fastify();
  await app.register(plugin, options);
  app.get('/', async () => 'ok');
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ method: 'GET', url: '/' })).statusCode);
    return statuses;
  } finally {
    await app.close();
  }
}

/** `m`: { sluice, sluiceExpress, sluiceFastify, sluiceRedis, express, Fastify }, loaded one way. */
async function run(label, m) {
  checkExports(label, {
    sluice: m.sluice,
    'sluice/express': m.sluiceExpress,
    'sluice/fastify': m.sluiceFastify,
    'sluice/redis': m.sluiceRedis,
  });
  // The deprecated root export is the class of `sluice/redis`.
  assert.equal(m.sluiceRedis.RedisStore, m.sluice.RedisStore);
  const { RateLimiter, SluiceError, SluiceConfigError, SluiceArgumentError, CostExceedsCapacityError } = m.sluice;

  const limiter = new RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
  assert.deepEqual(
    [limiter.consumeSync('k').allowed, (await limiter.consume('k')).allowed, limiter.consumeSync('k').allowed],
    [true, true, false],
  );
  assert.throws(
    () => new RateLimiter({ capacity: 0, refillRate: 1 }),
    (error) => error instanceof SluiceConfigError && error instanceof SluiceError,
  );
  await assert.rejects(
    limiter.consume('k', 3),
    (error) => error instanceof CostExceedsCapacityError && error instanceof SluiceArgumentError,
  );

  const limit = { capacity: 2, refillRate: 1, interval: '1h' };
  assert.deepEqual(await expressStatuses(m.express, m.sluiceExpress.rateLimit, limit), [200, 200, 429]);
  assert.equal(m.sluiceFastify.default, m.sluiceFastify.sluice);
  assert.deepEqual(await fastifyStatuses(m.Fastify, m.sluiceFastify.default, limit), [200, 200, 429]);
  console.log(`${label}: decisions, errors, Express and Fastify ok`);
}

/** Objects of one copy used by the other, both ways: a limiter, a fallback limiter, a store, and the errors. */
async function crossCopies(esm, cjs) {
  for (const [from, to, label] of [
    [esm, cjs, 'built by import, used by require'],
    [cjs, esm, 'built by require, used by import'],
  ]) {
    assert.notEqual(from.sluice.RateLimiter, to.sluice.RateLimiter, 'expected two copies of sluice');
    const limiter = () => new from.sluice.RateLimiter({ capacity: 2, refillRate: 1, interval: '1h' });
    assert.ok(limiter() instanceof to.sluice.RateLimiter, `${label}: instanceof RateLimiter`);
    assert.deepEqual(await expressStatuses(to.express, to.sluiceExpress.rateLimit, { limiter: limiter() }), [200, 200, 429]);
    assert.deepEqual(await fastifyStatuses(to.Fastify, to.sluiceFastify.default, { limiter: limiter() }), [200, 200, 429]);
    new to.sluice.RateLimiter({ capacity: 5, refillRate: 5, onStoreError: limiter() });

    const store = new from.sluice.MemoryStore();
    assert.ok(store instanceof to.sluice.MemoryStore, `${label}: instanceof MemoryStore`);
    const onStore = new to.sluice.RateLimiter({ capacity: 2, refillRate: 1, interval: '1h', store });
    assert.deepEqual(
      [onStore.consumeSync('k').remaining, onStore.consumeSync('k').remaining, onStore.consumeSync('k').allowed],
      [1, 0, false],
    );
    assert.throws(
      () => onStore.consumeSync(''),
      (error) => error instanceof from.sluice.SluiceArgumentError && error instanceof to.sluice.SluiceError,
      `${label}: errors are instances of both copies' classes`,
    );
    store.close();
    console.log(`${label}: ok`);
  }
}

module.exports = { run, crossCopies };
