/**
 * The server process of `npm run bench:http` (forked by bench/http.ts, one per contender):
 * `node --import tsx bench/httpServerProcess.ts <contender-id>`, with BENCH_REDIS_PORT for Redis contenders.
 * Serves both scenarios, each app on its own loopback port, and answers the orchestrator over IPC.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import { contenderById, SCENARIOS, type Scenario } from './httpContenders.js';
import type { ParentMessage, ServerMessage } from './httpIpc.js';
import { type RunningApp, startApp } from './httpServers.js';

const send = (message: ServerMessage) => process.send?.(message);

const contender = contenderById(process.argv[2] ?? '');
const redisClients: Redis[] = [];
const redisPort = Number(process.env.BENCH_REDIS_PORT);
const context = {
  redis: () => {
    if (!Number.isInteger(redisPort) || redisPort <= 0) throw new Error(`bench: ${contender.id} needs BENCH_REDIS_PORT`);
    const client = new Redis({ host: '127.0.0.1', port: redisPort });
    redisClients.push(client);
    return client;
  },
};

const apps = new Map<Scenario, RunningApp>();

// A CPU profile of the load only (not of loading the modules), written at stop.
const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
let profiler: Session | undefined;
async function startProfile(): Promise<void> {
  if (!profileDir || profiler) return;
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  await profiler.post('Profiler.start');
}

async function stop(): Promise<void> {
  if (profiler && profileDir) {
    const { profile } = await profiler.post('Profiler.stop');
    writeFileSync(`${profileDir}/${contender.id}.cpuprofile`, JSON.stringify(profile));
  }
  await Promise.allSettled([...apps.values()].map((app) => app.close()));
  await Promise.allSettled(redisClients.map((client) => client.quit()));
  process.exit(0);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cpu') {
    const usage = process.cpuUsage();
    send({ type: 'cpu', id: message.id, micros: usage.user + usage.system });
  } else if (message.type === 'profile') {
    void startProfile().then(() => send({ type: 'profiling' }));
  } else if (message.type === 'stop') {
    void stop();
  }
});
// The orchestrator died: never outlive it.
process.on('disconnect', () => void stop());

try {
  for (const scenario of SCENARIOS) apps.set(scenario.id, await startApp(contender, scenario.id, context));
  const ports = Object.fromEntries([...apps].map(([scenario, app]) => [scenario, app.port])) as Record<Scenario, number>;
  send({ type: 'ready', ports });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await stop();
}
