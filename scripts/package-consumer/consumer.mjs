// An ES module consumer of the packed tarball: `import` for every entry point, then both copies of sluice in one
// process (this one and the CommonJS one, as an app whose dependencies use `require` gets).
import { createRequire } from 'node:module';
import express from 'express';
import Fastify from 'fastify';
import * as sluice from 'sluice';
import * as sluiceExpress from 'sluice/express';
import * as sluiceFastify from 'sluice/fastify';
import * as sluiceRedis from 'sluice/redis';
import scenario from './scenario.cjs';

const require = createRequire(import.meta.url);
const esm = { sluice, sluiceExpress, sluiceFastify, sluiceRedis, express, Fastify };
const cjs = {
  sluice: require('sluice'),
  sluiceExpress: require('sluice/express'),
  sluiceFastify: require('sluice/fastify'),
  sluiceRedis: require('sluice/redis'),
  express,
  Fastify,
};
await scenario.run('import', esm);
await scenario.crossCopies(esm, cjs);
