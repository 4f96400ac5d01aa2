/**
 * The orchestrator's handle on the bench:http:inprocess server of one framework (./server.ts): its
 * port, and the per-request times recorded so far (typed arrays, carried by the `advanced` IPC
 * serialisation as they are).
 */

import type { Framework } from '../http/contenders.js';
import { ChildServer, STEADY_HEAP_FLAGS } from '../lib/childServer.js';
import { scriptPath } from '../lib/paths.js';
import type { ArmRecording, RequestClock } from './requestTimer.js';
import type { ArmServerApi } from './server.js';

const SERVER_SCRIPT = scriptPath('./server.ts', import.meta.url);

export interface ArmServerOptions {
  /** The arms to serve. */
  readonly arms: readonly string[];
  /** Directory for a CPU profile of the server (`inprocess-<framework>.cpuprofile`), from `startCpuProfile()` until it stops. */
  readonly cpuProfileDir?: string;
  /** What each request's time is (see RequestClock); wall by default. */
  readonly clock?: RequestClock;
}

export class ArmServer {
  private constructor(
    readonly framework: Framework,
    private readonly child: ChildServer<number, ArmServerApi>,
  ) {}

  static async fork(framework: Framework, options: ArmServerOptions): Promise<ArmServer> {
    const child = await ChildServer.fork<number, ArmServerApi>(SERVER_SCRIPT, {
      name: `${framework} server`,
      args: [framework, options.arms.join(','), options.clock ?? 'wall'],
      execArgv: STEADY_HEAP_FLAGS,
      serialization: 'advanced',
      ...(options.cpuProfileDir ? { cpuProfilePath: `${options.cpuProfileDir}/inprocess-${framework}.cpuprofile` } : {}),
    });
    return new ArmServer(framework, child);
  }

  get port(): number {
    return this.child.ready;
  }

  /** The requests recorded since the last call, per arm, and those of no known arm (the server starts afresh). */
  take(): Promise<{ arms: ArmRecording[]; unknownArm: number }> {
    return this.child.request('take');
  }

  startCpuProfile(): Promise<void> {
    return this.child.startCpuProfile();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
