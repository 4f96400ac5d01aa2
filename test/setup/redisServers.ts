/**
 * vitest globalSetup: one redis-server and a 3-master Redis Cluster on free loopback ports, for the
 * whole run, stopped by PID at the end. Tests get them through `inject('redis')` / `inject('redisCluster')`
 * (see redisTarget.ts). Without redis-server: a failure with CI=true, a loud warning otherwise.
 *
 * Also exports `startRedisServer` for tests that must kill or restart a server of their own.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

export interface RedisEndpoint {
  host: string;
  port: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redis: RedisEndpoint | undefined;
    redisCluster: { nodes: RedisEndpoint[] } | undefined;
  }
}

const HOST = '127.0.0.1';
const run = promisify(execFile);

/** The redis-server version (e.g. `7.0.15`), or undefined when it is not installed. */
export function redisServerVersion(): string | undefined {
  const result = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  return /v=(\S+)/.exec(result.stdout)?.[1] ?? result.stdout.trim();
}

/** True when redis-server and redis-cli can be run. */
export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-cli', ['--version']).status === 0;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free loopback port whose cluster bus port (+10000) is free too. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 15_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return port;
  }
  throw new Error('no free loopback port found for redis-server');
}

/** Resolves once the server on `port` answers PING (RESP inline command), or rejects after `timeoutMs`. */
export async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: HOST, port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface RedisServer {
  readonly port: number;
  readonly process: ChildProcess;
  readonly dir: string;
  /** Stops the server (SIGKILL when `hard`, SIGTERM otherwise) and waits for the process to exit. */
  stop(hard?: boolean): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a redis-server without persistence on `port` (default: a free one) and waits until it answers.
 * `dir`: its working directory (default: a new temporary one), e.g. a killed cluster node's, to restart it
 * with its cluster config. `sentinelConfig`: run `redis-sentinel` on that config file (which it rewrites) instead.
 */
export async function startRedisServer(
  options: { port?: number; args?: string[]; dir?: string; sentinelConfig?: string } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `sluice-redis-${port}-`));
  const child = spawn(
    options.sentinelConfig === undefined ? 'redis-server' : 'redis-sentinel',
    [
      ...(options.sentinelConfig === undefined ? [] : [options.sentinelConfig]),
      '--port',
      String(port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--enable-debug-command',
      'local',
      '--loglevel',
      'warning',
      ...(options.args ?? []),
    ],
    { stdio: 'ignore' },
  );
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Never leave servers behind, even when the run is interrupted.
    process.once('exit', () => {
      for (const proc of running) if (proc.exitCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL');
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => running.delete(child));
  const stop = async (hard = false) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, hard ? 'SIGKILL' : 'SIGTERM');
      } catch {
        // already gone
      }
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPing(port);
  } catch (error) {
    await stop(true);
    throw error;
  }
  return { port, process: child, dir, stop };
}

/** The redis-server arguments of a node of startRedisCluster's clusters on `port`. */
export function clusterNodeArgs(port: number, extra: string[] = []): string[] {
  return ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000', ...extra];
}

/**
 * Starts three cluster-enabled servers and joins them into a 3-master cluster with all slots covered.
 * `args`: more redis-server arguments for every node.
 */
export async function startRedisCluster(options: { args?: string[] } = {}): Promise<RedisServer[]> {
  const servers: RedisServer[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      servers.push(await startRedisServer({ port, args: clusterNodeArgs(port, options.args) }));
    }
    await run('redis-cli', ['--cluster', 'create', ...servers.map((s) => `${HOST}:${s.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const server of servers) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(server.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${server.port} did not reach cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return servers;
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop(true)));
    throw error;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!redisAvailable()) {
    if (process.env.CI === 'true') {
      throw new Error('redis-server/redis-cli not found and CI=true: the Redis tests cannot run (apt-get install redis-server)');
    }
    console.warn(
      '\n\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
        '!!  redis-server not found: every Redis test is SKIPPED in this run.      !!\n' +
        '!!  Install it (apt-get install redis-server); with CI=true this fails.   !!\n' +
        '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n',
    );
    project.provide('redis', undefined);
    project.provide('redisCluster', undefined);
    return async () => undefined;
  }
  const [single, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
  project.provide('redis', { host: HOST, port: single.port });
  project.provide('redisCluster', { nodes: cluster.map((s) => ({ host: HOST, port: s.port })) });
  return async () => {
    await Promise.all([single.stop(), ...cluster.map((s) => s.stop())]);
  };
}
