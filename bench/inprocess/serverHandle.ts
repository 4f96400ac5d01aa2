/**
 * The orchestrator's side of the bench:http:inprocess server: fork it for one framework, wait until it
 * listens, take the per-request times recorded so far (over IPC, typed arrays via the `advanced`
 * serialisation), stop it by PID.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Framework } from './httpContenders.js';
import type { ArmRecording } from './requestTimer.js';
import { stopChild } from './stopChild.js';

export type InProcessParentMessage = { type: 'take'; id: number } | { type: 'profile' } | { type: 'stop' };
export type InProcessServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  | { type: 'recordings'; id: number; arms: ArmRecording[]; unknownArm: number }
  | { type: 'profiling' };

const SERVER_SCRIPT = fileURLToPath(new URL('./httpInProcessServer.ts', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 10_000;

export interface InProcessForkOptions {
  /** The arms to serve. */
  arms: readonly string[];
  /** Directory for a CPU profile of the server (`inprocess-<framework>.cpuprofile`), from `startProfile()` until it stops. */
  cpuProfileDir?: string;
}

export class InProcessServer {
  private nextId = 0;

  private constructor(
    readonly framework: Framework,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async fork(framework: Framework, options: InProcessForkOptions): Promise<InProcessServer> {
    const child = fork(SERVER_SCRIPT, [framework, options.arms.join(',')], {
      // The same fixed young generation as bench:http's servers (see bench/httpIpc.ts).
      execArgv: ['--import', 'tsx', '--min-semi-space-size=16', '--max-semi-space-size=16'],
      env: { ...process.env, BENCH_CPU_PROFILE_DIR: options.cpuProfileDir ?? '' },
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`${framework} server: no answer within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
      child.once('exit', (code) => fail(new Error(`${framework} server exited (code ${code}) before listening`)));
      child.on('message', (message: InProcessServerMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(message.port);
        } else if (message.type === 'failed') {
          fail(new Error(`${framework} server failed to start:\n${message.message}`));
        }
      });
    });
    return new InProcessServer(framework, child, port);
  }

  /** Starts the CPU profiler in the server (if it was forked with `cpuProfileDir`): after the warm-up, so the profile is of the load. */
  startProfile(): Promise<void> {
    return new Promise((resolve) => {
      const onMessage = (message: InProcessServerMessage) => {
        if (message.type !== 'profiling') return;
        this.child.off('message', onMessage);
        resolve();
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'profile' } satisfies InProcessParentMessage);
    });
  }

  /** The requests recorded since the last call, per arm (the server starts afresh). */
  take(): Promise<{ arms: ArmRecording[]; unknownArm: number }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off('message', onMessage);
        reject(new Error(`${this.framework} server: no recordings within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      const onMessage = (message: InProcessServerMessage) => {
        if (message.type !== 'recordings' || message.id !== id) return;
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve({ arms: message.arms, unknownArm: message.unknownArm });
      };
      this.child.on('message', onMessage);
      this.child.send({ type: 'take', id } satisfies InProcessParentMessage);
    });
  }

  /** Asks the server to exit (so a CPU profile gets written), and kills it by PID if it has not within 10 s. */
  async stop(): Promise<void> {
    await stopChild(this.child, { type: 'stop' } satisfies InProcessParentMessage, 10_000);
  }
}
