'use strict';
// A CommonJS consumer of the packed tarball: `require` for every entry point.
const { run } = require('./scenario.cjs');

run('require', {
  sluice: require('sluice'),
  sluiceExpress: require('sluice/express'),
  sluiceFastify: require('sluice/fastify'),
  sluiceRedis: require('sluice/redis'),
  express: require('express'),
  Fastify: require('fastify'),
}).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
