/**
 * The orchestrator's side of a bench server process: fork it, wait until it listens, read its CPU
 * time over IPC (µs of user + system time, from `process.cpuUsage()` in the server), stop it by PID.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HttpContender, Scenario } from './httpContenders.js';
import { stopChild } from './stopChild.js';

export type ParentMessage = { type: 'cpu'; id: number } | { type: 'profile' } | { type: 'stop' };
export type ServerMessage =
  | { type: 'ready'; ports: Record<Scenario, number> }
  | { type: 'failed'; message: string }
  | { type: 'cpu'; id: number; micros: number }
  | { type: 'profiling' };

const SERVER_SCRIPT = fileURLToPath(new URL('./httpServerProcess.ts', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;

export interface ForkOptions {
  redisPort?: number;
  /** Directory for a CPU profile of this server (`<contender id>.cpuprofile`), from `startProfile()` until it stops. */
  cpuProfileDir?: string;
}

export class ServerHandle {
  private nextId = 0;
  private readonly pending = new Map<number, (micros: number) => void>();

  private constructor(
    readonly contender: HttpContender,
    private readonly child: ChildProcess,
    readonly ports: Record<Scenario, number>,
  ) {
    child.on('message', (message: ServerMessage) => {
      if (message.type !== 'cpu') return;
      this.pending.get(message.id)?.(message.micros);
      this.pending.delete(message.id);
    });
  }

  static async fork(contender: HttpContender, options: ForkOptions = {}): Promise<ServerHandle> {
    const child = fork(SERVER_SCRIPT, [contender.id], {
      // A fixed young generation: V8 grows it under load and shrinks it when idle, so a server that sat
      // idle while the others ran would pay more GC per request than the bare one that runs every other slice.
      execArgv: ['--import', 'tsx', '--min-semi-space-size=16', '--max-semi-space-size=16'],
      env: {
        ...process.env,
        BENCH_REDIS_PORT: options.redisPort === undefined ? '' : String(options.redisPort),
        BENCH_CPU_PROFILE_DIR: options.cpuProfileDir ?? '',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const ports = await new Promise<Record<Scenario, number>>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`${contender.id}: no answer within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(error);
      };
      child.once('exit', (code) => fail(new Error(`${contender.id}: server exited (code ${code}) before listening`)));
      child.on('message', (message: ServerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(message.ports);
        } else if (message.type === 'failed') {
          fail(new Error(`${contender.id}: server failed to start:\n${message.message}`));
        }
      });
    });
    return new ServerHandle(contender, child, ports);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the CPU profiler in the server (if it was forked with `cpuProfileDir`). */
  startProfile(): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (message: ServerMessage) => {
        if (message.type !== 'profiling') return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'profile' } satisfies ParentMessage);
    });
  }

  /** The server's CPU time so far (user + system), in µs. */
  cpuMicros(): Promise<number> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.contender.id}: no CPU reading within 5 s`)), 5000);
      this.pending.set(id, (micros) => {
        clearTimeout(timer);
        resolve(micros);
      });
      this.child.send({ type: 'cpu', id } satisfies ParentMessage);
    });
  }

  /** Asks the server to exit, and kills it by PID if it has not within 5 s. */
  async stop(): Promise<void> {
    await stopChild(this.child, { type: 'stop' } satisfies ParentMessage, 5000);
  }
}
