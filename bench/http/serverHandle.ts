/** The orchestrator's handle on one contender's server process (./server.ts). */
import { ChildServer, STEADY_HEAP_FLAGS } from '../lib/childServer.js';
import { scriptPath } from '../lib/paths.js';
import type { HttpContender } from './contenders.js';
import type { ContenderServerApi, ScenarioPorts } from './server.js';

const SERVER_SCRIPT = scriptPath('./server.ts', import.meta.url);

export interface ContenderServerOptions {
  readonly redisPort?: number;
  /** Directory for a CPU profile of this server (`<contender id>.cpuprofile`), from `startCpuProfile()` until it stops. */
  readonly cpuProfileDir?: string;
}

export class ContenderServer {
  private constructor(
    readonly contender: HttpContender,
    private readonly child: ChildServer<ScenarioPorts, ContenderServerApi>,
  ) {}

  static async fork(contender: HttpContender, options: ContenderServerOptions = {}): Promise<ContenderServer> {
    const child = await ChildServer.fork<ScenarioPorts, ContenderServerApi>(SERVER_SCRIPT, {
      name: `${contender.id} server`,
      args: [contender.id],
      execArgv: STEADY_HEAP_FLAGS,
      env: { BENCH_REDIS_PORT: options.redisPort === undefined ? '' : String(options.redisPort) },
      ...(options.cpuProfileDir ? { cpuProfilePath: `${options.cpuProfileDir}/${contender.id}.cpuprofile` } : {}),
    });
    return new ContenderServer(contender, child);
  }

  /** The port of each scenario's app. */
  get ports(): ScenarioPorts {
    return this.child.ready;
  }

  /** The server's CPU time so far (user + system), in µs. */
  cpuMicros(): Promise<number> {
    return this.child.request('cpuMicros');
  }

  startCpuProfile(): Promise<void> {
    return this.child.startCpuProfile();
  }

  stop(): Promise<void> {
    return this.child.stop();
  }
}
