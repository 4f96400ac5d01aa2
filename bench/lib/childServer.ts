/**
 * The one way a benchmark runs code in another process (a server under load, a memory probe): the
 * parent forks a script under tsx and waits for its `ready` value, asks it questions over IPC, and
 * stops it, by PID if it does not exit when asked. A process of its own gives each server its own heap,
 * JIT state and CPU time, so one contender's garbage is never billed to another.
 *
 * Both sides of the protocol are here: `ChildServer.fork` in the parent, `serveParent` in the child.
 * A child writes its CPU profile (when forked with `cpuProfilePath`) on the way out, and never outlives
 * its parent.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { CpuProfiler } from './cpuProfiler.js';

/** The questions a child answers: name → handler. Arguments and answers cross IPC, so they must be serialisable. */
export type ChildApi<A> = { [K in keyof A]: (...args: never) => unknown };

type ParentMessage =
  | { readonly type: 'request'; readonly id: number; readonly name: string; readonly args: readonly unknown[] }
  | { readonly type: 'profile'; readonly id: number }
  | { readonly type: 'stop' };
type ChildMessage =
  | { readonly type: 'ready'; readonly value: unknown }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/**
 * Node flags for a server under load: a fixed young generation. V8 grows it under load and shrinks it
 * when idle, so a server that sat idle while the others ran would pay more GC per request than the
 * baseline that runs every other slice.
 */
export const STEADY_HEAP_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

/** Environment variable that passes the profile path to the child. */
const PROFILE_ENV = 'BENCH_CPU_PROFILE';

export interface ForkOptions {
  /** Names the child in errors. */
  readonly name: string;
  readonly args?: readonly string[];
  /** Node flags, after `--import tsx`. */
  readonly execArgv?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** 'advanced' carries typed arrays over IPC as they are. */
  readonly serialization?: 'json' | 'advanced';
  /** Write a CPU profile of the child here, from `startCpuProfile()` until it stops. */
  readonly cpuProfilePath?: string;
  readonly startupTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How long a child asked to stop may take to exit (writing its profile) before it is killed. */
  readonly stopTimeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

const killByPid = (child: ChildProcess) => {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
};

export class ChildServer<Ready, A extends ChildApi<A> = Record<never, never>> {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    /** What the child's `start` returned. */
    readonly ready: Ready,
    private readonly options: ForkOptions,
  ) {
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'reply' && message.type !== 'error') return;
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.type === 'reply') pending.resolve(message.value);
      else pending.reject(new Error(`${this.name}: ${message.message}`));
    });
    child.once('exit', (code) => {
      for (const pending of this.pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`${this.name} exited (code ${code}) before answering`));
      }
      this.pending.clear();
    });
  }

  /** Forks `script` and resolves once it is ready; rejects (and kills it) if it fails, exits or stays silent. */
  static async fork<Ready, A extends ChildApi<A> = Record<never, never>>(
    script: string,
    options: ForkOptions,
  ): Promise<ChildServer<Ready, A>> {
    const child = fork(script, [...(options.args ?? [])], {
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      env: { ...process.env, ...options.env, [PROFILE_ENV]: options.cpuProfilePath ?? '' },
      serialization: options.serialization ?? 'json',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timeoutMs = options.startupTimeoutMs ?? 30_000;
    const ready = await new Promise<Ready>((resolve, reject) => {
      const fail = (error: Error) => {
        clearTimeout(timer);
        killByPid(child);
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`${options.name}: not ready within ${timeoutMs} ms`)), timeoutMs);
      const onExit = (code: number | null) => fail(new Error(`${options.name} exited (code ${code}) before it was ready`));
      child.once('exit', onExit);
      const onMessage = (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('message', onMessage);
          resolve(message.value as Ready);
        } else if (message.type === 'failed') {
          child.off('message', onMessage);
          fail(new Error(`${options.name} failed to start:\n${message.message}`));
        }
      };
      child.on('message', onMessage);
    });
    return new ChildServer<Ready, A>(options.name, child, ready, options);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks the child `name` and resolves with its answer. */
  request<K extends keyof A & string>(name: K, ...args: Parameters<A[K]>): Promise<Awaited<ReturnType<A[K]>>> {
    return this.send((id) => ({ type: 'request', id, name, args })) as Promise<Awaited<ReturnType<A[K]>>>;
  }

  /** Starts the child's CPU profiler, if it was forked with `cpuProfilePath`: after the warm-up, so the profile is of the load. */
  async startCpuProfile(): Promise<void> {
    await this.send((id) => ({ type: 'profile', id }));
  }

  /** Asks the child to exit (so it can write what it writes on exit), and kills it by PID if it has not in time. */
  async stop(): Promise<void> {
    const { child } = this;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
    const timer = setTimeout(() => killByPid(child), this.options.stopTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
  }

  private send(message: (id: number) => ParentMessage): Promise<unknown> {
    const id = this.nextId++;
    const timeoutMs = this.options.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send(message(id));
    });
  }
}

export interface ChildSetup<Ready, A> {
  /** Sets the child up (builds and starts its server); the parent's `ready` is what it returns. */
  start(): Promise<Ready>;
  /** The questions the parent may ask. */
  readonly api: A;
  /** Releases what `start` set up (closes servers and connections), before the process exits. */
  stop?(): Promise<void>;
}

/** The child's side: runs `setup.start`, tells the parent, answers its requests until it says stop or goes away. */
export async function serveParent<Ready, A extends ChildApi<A>>(setup: ChildSetup<Ready, A>): Promise<void> {
  const send = (message: ChildMessage) => process.send?.(message);
  const profilePath = process.env[PROFILE_ENV] ?? '';
  const profiler = new CpuProfiler();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (profilePath !== '') await profiler.stopAndWrite(profilePath);
      await setup.stop?.();
      process.exit(0);
    })();
    return stopping;
  };
  const answer = async (id: number, work: () => unknown) => {
    try {
      send({ type: 'reply', id, value: await work() });
    } catch (error) {
      send({ type: 'error', id, message: error instanceof Error ? error.message : String(error) });
    }
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') {
      void stop();
    } else if (message.type === 'profile') {
      void answer(message.id, () => (profilePath === '' ? undefined : profiler.start()));
    } else {
      const handlers: Readonly<Record<string, unknown>> = setup.api;
      const handler = Object.hasOwn(handlers, message.name) ? handlers[message.name] : undefined;
      void answer(message.id, () => {
        if (typeof handler !== 'function') throw new Error(`no request ${JSON.stringify(message.name)}`);
        return (handler as (...args: readonly unknown[]) => unknown)(...message.args);
      });
    }
  });
  // The parent died or let go: never outlive it.
  process.on('disconnect', () => void stop());
  try {
    send({ type: 'ready', value: await setup.start() });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    await stop();
  }
}
