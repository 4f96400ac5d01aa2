/**
 * The server process of `npm run bench:http:inprocess` (forked by ./serverHandle.ts with the arguments
 * `express|fastify <arm,arm,...> [wall|cpu]`): serves these arms of one framework on one loopback port, times each
 * request, and hands the times over when the orchestrator asks.
 */
import { serveParent } from '../lib/childServer.js';
import { type RunningServer, startArmsServer } from './apps.js';
import { armsByIds, armsOn } from './arms.js';
import { RequestTimer } from './requestTimer.js';

const framework = process.argv[2];
// The arms of another framework (the peers') are left out, so one arm list serves both.
const arms = armsOn(framework ?? '', armsByIds((process.argv[3] ?? '').split(',').filter(Boolean)));
const timer = new RequestTimer(arms, process.argv[4] === 'cpu' ? 'cpu' : 'wall');

let server: RunningServer | undefined;

const api = {
  /** The requests recorded since the last call, per arm (the recording starts afresh). */
  take: () => timer.take(),
};
export type ArmServerApi = typeof api;

await serveParent({
  api,
  async start(): Promise<number> {
    if (framework !== 'express' && framework !== 'fastify') throw new Error(`usage: server.ts express|fastify (got ${framework})`);
    server = await startArmsServer(framework, arms, timer);
    return server.port;
  },
  stop: async () => server?.close(),
});
