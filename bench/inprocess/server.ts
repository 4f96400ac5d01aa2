/**
 * The server process of `npm run bench:http:inprocess` (forked by bench/httpInProcessIpc.ts):
 * `node --import tsx bench/httpInProcessServer.ts express|fastify <arm,arm,...>`. Serves these arms of one framework
 * on one loopback port, times each request, and hands the times over when the orchestrator asks.
 */
import { CpuProfiler } from './cpuProfiler.js';
import { type RunningServer, startArmsServer } from './httpInProcessApps.js';
import { armsByIds } from './httpInProcessArms.js';
import type { InProcessParentMessage, InProcessServerMessage } from './httpInProcessIpc.js';
import { RequestTimer } from './requestTimer.js';

const send = (message: InProcessServerMessage) => process.send?.(message);

const framework = process.argv[2];
const arms = armsByIds((process.argv[3] ?? '').split(',').filter(Boolean));
const timer = new RequestTimer(arms);
let server: RunningServer | undefined;

// A CPU profile of the load, when the orchestrator asks for one (it sets the directory).
const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
const profiler = new CpuProfiler();

async function stop(): Promise<void> {
  if (profileDir) await profiler.stopAndWrite(`${profileDir}/inprocess-${framework}.cpuprofile`);
  await server?.close();
  process.exit(0);
}

process.on('message', (message: InProcessParentMessage) => {
  if (message.type === 'take') {
    send({ type: 'recordings', id: message.id, ...timer.take() });
  } else if (message.type === 'profile') {
    void (profileDir ? profiler.start() : Promise.resolve()).then(() => send({ type: 'profiling' }));
  } else if (message.type === 'stop') {
    void stop();
  }
});
// The orchestrator died: never outlive it.
process.on('disconnect', () => void stop());

try {
  if (framework !== 'express' && framework !== 'fastify')
    throw new Error(`usage: httpInProcessServer.ts express|fastify (got ${framework})`);
  server = await startArmsServer(framework, arms, timer);
  send({ type: 'ready', port: server.port });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  await stop();
}
