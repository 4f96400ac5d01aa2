/**
 * Real Fastify 4 and 5 apps with sluice registered, closed after each test, for tests that build routes on them
 * and send requests with `inject`.
 */
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach } from 'vitest';
import sluice from '../../adapters/fastify.js';

export type FastifyFactory = typeof fastify5;
export type Method = 'GET' | 'POST' | 'HEAD' | 'PUT';

/** Each Fastify major the plugin supports, by name, for `describe.each(Object.entries(FASTIFY))`. */
export const FASTIFY: Record<string, FastifyFactory> = { 'Fastify 4': fastify4 as unknown as FastifyFactory, 'Fastify 5': fastify5 };

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** A `factory` app with sluice registered with `options` (not checked: tests give hostile ones), closed after the test. */
export async function registered(factory: FastifyFactory, options: object): Promise<FastifyInstance> {
  const made = (factory as unknown as (options: object) => FastifyInstance)({});
  apps.push(made);
  await made.register(sluice, options as never);
  return made;
}

/** The status codes of `count` requests to `url`, one after another. */
export async function statuses(
  app: FastifyInstance,
  method: Method,
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await app.inject({ method, url, headers })).statusCode);
  return seen;
}
