/**
 * The server process of `npm run bench:http`, one per contender (forked by ./serverHandle.ts with the
 * contender's id as argument, and BENCH_REDIS_PORT for the Redis contenders). Serves both scenarios,
 * each app on its own loopback port, and answers the orchestrator's CPU readings.
 */
import { Redis } from 'ioredis';
import { serveParent } from '../lib/childServer.js';
import { type RunningApp, startApp } from './apps.js';
import { contenderById, SCENARIOS, type Scenario } from './contenders.js';

/** The port of each scenario's app. */
export type ScenarioPorts = Record<Scenario, number>;

const contender = contenderById(process.argv[2] ?? '');
const redisClients: Redis[] = [];
const apps: RunningApp[] = [];
const context = {
  redis: () => {
    const port = Number(process.env.BENCH_REDIS_PORT);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`bench: ${contender.id} needs BENCH_REDIS_PORT`);
    const client = new Redis({ host: '127.0.0.1', port });
    redisClients.push(client);
    return client;
  },
};

const api = {
  /** This process' CPU time so far (user + system), µs. */
  cpuMicros: (): number => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  },
};
export type ContenderServerApi = typeof api;

await serveParent({
  api,
  async start(): Promise<ScenarioPorts> {
    const ports: Partial<ScenarioPorts> = {};
    for (const scenario of SCENARIOS) {
      const app = await startApp(contender, scenario.id, context);
      apps.push(app);
      ports[scenario.id] = app.port;
    }
    return ports as ScenarioPorts;
  },
  async stop() {
    await Promise.allSettled(apps.map((app) => app.close()));
    await Promise.allSettled(redisClients.map((client) => client.quit()));
  },
});
