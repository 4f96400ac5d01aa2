/**
 * bench:http:inprocess as a function: per framework, one server process serves every arm (see
 * ./apps.ts) and autocannon, here in the orchestrator, sends requests that go to the
 * arms in random order, request by request, so every arm sees the same seconds of machine noise. After a
 * warm-up, each round is one autocannon run; the server's per-request times come back over IPC.
 */
import autocannon, { type AutocannonRequest } from 'autocannon';
import type { Framework } from '../http/contenders.js';
import { type Machine, machine, packageVersions } from '../lib/environment.js';
import { type Stat, stat } from '../lib/stats.js';
import { ARM_HEADER, type Arm, type ArmId, armPath, armsByIds, armsOn, KEY_HEADER, RATE_LIMIT_HEADER_NAMES } from './arms.js';
import { type ArmFigures, type ArmRound, armFigures, armRound } from './figures.js';
import type { RequestClock } from './requestTimer.js';
import { ArmServer } from './serverHandle.js';

export interface InProcessOptions {
  /** Measured rounds per framework: each one autocannon run over all arms. */
  rounds: number;
  /** Length of one round, ms. */
  roundMs: number;
  /** Unmeasured load before the first round (JIT warm-up, the new-key store filling up), ms. */
  warmupMs: number;
  /** autocannon connections. */
  connections: number;
  /** A smoke run (CI): recorded so the report gives no verdicts on its meaningless figures. */
  quick: boolean;
  frameworks: readonly Framework[];
  /** The arms to run (the baseline is always run); see ./arms.ts. */
  arms: readonly ArmId[];
  /** What a request's time is: its wall-clock time (default) or the process' CPU time during it (see RequestClock). */
  clock?: RequestClock;
  /** Write a CPU profile of each server (`inprocess-<framework>.cpuprofile`) into this directory. */
  cpuProfileDir?: string;
  onProgress?: (event: { framework: Framework; step: string; done: number; total: number }) => void;
}

export interface FrameworkResult {
  readonly framework: Framework;
  /** Responses per second over all arms, per round. */
  readonly requestsPerSec: Stat;
  /** autocannon's errors + timeouts and non-2xx responses over the rounds (should be 0). */
  readonly clientErrors: number;
  readonly clientNon2xx: number;
  /** Requests the server could not place in an arm (should be 0). */
  readonly unknownArm: number;
  readonly arms: readonly ArmFigures[];
}

export interface InProcessResult extends Machine {
  readonly startedAt: string;
  readonly seconds: number;
  readonly versions: Readonly<Record<string, string>>;
  /**
   * The options of the run; its frameworks and arms are those in `frameworks` (left out here: Biome would
   * fold a short list onto one line, and the JSON would fail `biome check`).
   */
  readonly options: Omit<InProcessOptions, 'onProgress' | 'cpuProfileDir' | 'frameworks' | 'arms'>;
  readonly frameworks: readonly FrameworkResult[];
}

export const FULL_OPTIONS = { rounds: 5, roundMs: 4000, warmupMs: 3000, connections: 10 } as const;
// CI smoke run: every arm of both frameworks, with a min…max to show; figures meaningless.
export const QUICK_OPTIONS = { rounds: 2, roundMs: 1200, warmupMs: 800, connections: 10 } as const;

const PACKAGES = ['express', 'fastify', 'autocannon'];

// A key no earlier run used, then a counter: every new-key request gets a key the store has never seen.
const keyPrefix = `k${Date.now().toString(36)}-`;
let keyCount = 0;

/**
 * The arm of each next request: all arms in a random order, then again in another (a shuffled deck,
 * shared by every connection). Random rather than a fixed cycle: with each connection cycling
 * a, b, c... the connections fall into step, the server then runs bursts of one arm, and whatever
 * else the machine does at that moment lands on that arm alone. The deck keeps the counts even.
 */
class ArmDeck {
  private deck: Arm[] = [];

  constructor(private readonly arms: readonly Arm[]) {}

  next(): Arm {
    if (this.deck.length === 0) {
      this.deck = [...this.arms];
      for (let i = this.deck.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [this.deck[i], this.deck[j]] = [this.deck[j] as Arm, this.deck[i] as Arm];
      }
    }
    return this.deck.pop() as Arm;
  }
}

/** autocannon's request template: `setupRequest` deals each request an arm (path and header) and, for the new-key arm, a new key. */
function armRequest(framework: Framework, arms: readonly Arm[]): AutocannonRequest {
  const deck = new ArmDeck(arms);
  return {
    method: 'GET',
    setupRequest: (request) => {
      const arm = deck.next();
      request.path = armPath(arm, framework);
      request.headers = { ...request.headers, [ARM_HEADER]: arm.id, ...(arm.newKey ? { [KEY_HEADER]: `${keyPrefix}${keyCount++}` } : {}) };
      return request;
    },
  };
}

/** One request per arm before loading: a limiter that is not mounted, or a bare arm with one, fails the run. */
async function probe(server: ArmServer, arms: readonly Arm[]): Promise<void> {
  for (const arm of arms) {
    const response = await fetch(`http://127.0.0.1:${server.port}${armPath(arm, server.framework)}`, {
      headers: { [ARM_HEADER]: arm.id, [KEY_HEADER]: `${keyPrefix}probe-${arm.id}` },
    });
    const body = await response.text();
    const where = `${server.framework} ${arm.id}`;
    if (response.status !== 200 || body !== 'ok') throw new Error(`${where}: probe got HTTP ${response.status} ${JSON.stringify(body)}`);
    const sent = RATE_LIMIT_HEADER_NAMES.filter((name) => response.headers.has(name));
    if (arm.expectedHeader === null ? sent.length > 0 : !sent.includes(arm.expectedHeader)) {
      throw new Error(`${where}: probe response has rate-limit headers [${sent.join(', ')}], expected ${arm.expectedHeader ?? 'none'}`);
    }
  }
}

async function load(server: ArmServer, arms: readonly Arm[], ms: number, connections: number) {
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}/`,
    connections,
    duration: ms / 1000,
    // The run ends on the first sample tick after `duration`.
    sampleInt: 100,
    requests: [armRequest(server.framework, arms)],
  });
  const started = performance.now();
  const result = await instance;
  return { seconds: (performance.now() - started) / 1000, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

async function runFramework(framework: Framework, options: InProcessOptions, progress: (step: string) => void): Promise<FrameworkResult> {
  const arms = armsOn(framework, armsByIds(options.arms));
  const server = await ArmServer.fork(framework, {
    arms: arms.map((arm) => arm.id),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
  });
  try {
    await probe(server, arms);
    progress('warm-up');
    if (options.warmupMs > 0) await load(server, arms, options.warmupMs, options.connections);
    await server.take(); // the probe's and the warm-up's requests are not measured
    if (options.cpuProfileDir) await server.startCpuProfile();
    const rounds = new Map<ArmId, ArmRound[]>(arms.map((arm) => [arm.id, []]));
    const requestsPerSec: number[] = [];
    let clientErrors = 0;
    let clientNon2xx = 0;
    let unknownArm = 0;
    for (let round = 0; round < options.rounds; round++) {
      progress(`round ${round + 1}/${options.rounds}`);
      const client = await load(server, arms, options.roundMs, options.connections);
      const recorded = await server.take();
      clientErrors += client.errors;
      clientNon2xx += client.non2xx;
      unknownArm += recorded.unknownArm;
      let responses = 0;
      for (const recording of recorded.arms) {
        rounds.get(recording.id)?.push(armRound(recording.times, recording));
        responses += recording.times.length;
      }
      requestsPerSec.push(responses / client.seconds);
    }
    return {
      framework,
      requestsPerSec: stat(requestsPerSec),
      clientErrors,
      clientNon2xx,
      unknownArm,
      arms: armFigures(rounds, 'bare'),
    };
  } finally {
    await server.stop();
  }
}

export async function runInProcessBench(options: InProcessOptions): Promise<InProcessResult> {
  const startedAt = new Date();
  const frameworks: FrameworkResult[] = [];
  const total = options.frameworks.length * (options.rounds + 1);
  let done = 0;
  for (const framework of options.frameworks) {
    const progress = (step: string) => {
      options.onProgress?.({ framework, step, done, total });
      done++;
    };
    frameworks.push(await runFramework(framework, options, progress));
  }
  const { onProgress: _onProgress, cpuProfileDir: _cpuProfileDir, frameworks: _frameworks, arms: _arms, ...recorded } = options;
  return {
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    ...machine(),
    versions: packageVersions(PACKAGES),
    options: recorded,
    frameworks,
  };
}
