/**
 * The HTTP benchmark as a function, so `npm run bench:http` and a combined report can both run it.
 *
 * Each contender is a server in its own process. autocannon (here, in the orchestrator) loads one
 * server at a time for a short slice, in rotation over several rounds, with the servers of one
 * framework side by side: the machine's speed swings from second to second, so every figure is
 * a median over rounds of a ratio to a slice of the bare server taken right before or after. The server's CPU µs per
 * request (process.cpuUsage() deltas read over IPC around each slice) is the steadier figure; a
 * second bare server (A/A) shows how far from 1.0 noise alone moves a ratio.
 */
import autocannon from 'autocannon';
import { type RedisServer, redisServerVersion, startRedisServer } from '../../test/setup/redisServers.js';
import { type Machine, machine, packageVersions } from '../lib/environment.js';
import { quantileOf, rotate } from '../lib/stats.js';
import { type Framework, HTTP_CONTENDERS, type HttpContender, KEY_HEADER, SCENARIOS, type Scenario } from './contenders.js';
import { type ContenderFigures, contenderFigures, type SliceSample } from './figures.js';
import { ContenderServer } from './serverHandle.js';

export interface HttpBenchOptions {
  /** Measured rounds; per round and scenario, every contender gets one slice paired with a slice of the bare server. */
  rounds: number;
  /** Length of one measured slice, ms. */
  sliceMs: number;
  /** Unmeasured load per server and scenario before the rounds (JIT warm-up), ms; 0 for none. */
  warmupMs: number;
  /** Unmeasured load right before each measured slice, on the same connections, ms. */
  preloadMs: number;
  /** autocannon connections. */
  connections: number;
  /** Contender ids to run (the bare servers and the empty-hook floor of their frameworks are always added); default all. */
  only?: readonly string[];
  scenarios?: readonly Scenario[];
  /** Skip the Redis contenders. With Redis wanted but redis-server missing, the run fails under CI=true. */
  noRedis?: boolean;
  /** Contender ids whose server is CPU-profiled during the load, profiles written to `cpuProfileDir`. */
  profile?: readonly string[];
  cpuProfileDir?: string;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
  readonly framework: Framework;
  readonly scenario: Scenario | undefined;
  readonly phase: 'starting' | 'warm-up' | 'round' | 'done';
  readonly round: number;
  readonly rounds: number;
  /** Slices run so far over the whole run, and in total (for a progress bar / time left). */
  readonly slicesDone: number;
  readonly slicesTotal: number;
}

export interface ContenderResult {
  readonly contender: HttpContender;
  readonly samples: readonly SliceSample[];
  readonly figures: ContenderFigures;
}

export interface GroupResult {
  readonly framework: Framework;
  readonly scenario: Scenario;
  readonly contenders: readonly ContenderResult[];
}

export interface HttpBenchResult extends Machine {
  readonly startedAt: string;
  readonly seconds: number;
  readonly redisVersion: string | undefined;
  readonly versions: Readonly<Record<string, string>>;
  readonly options: Omit<HttpBenchOptions, 'onProgress'>;
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  readonly groups: readonly GroupResult[];
}

export const FULL_OPTIONS: HttpBenchOptions = { rounds: 5, sliceMs: 1000, warmupMs: 1000, preloadMs: 300, connections: 10 };
// A smoke run (CI): every server and scenario once, figures meaningless.
export const QUICK_OPTIONS: HttpBenchOptions = { rounds: 1, sliceMs: 80, warmupMs: 0, preloadMs: 30, connections: 10 };

const PACKAGES = [
  'express',
  'fastify',
  'express-rate-limit',
  'rate-limit-redis',
  'rate-limiter-flexible',
  '@fastify/rate-limit',
  'ioredis',
  'autocannon',
];

function requestHeaders(scenario: Scenario): Record<string, string> {
  return scenario === 'newKey' ? { [KEY_HEADER]: '[<id>]' } : {};
}

/** One request per app before measuring: a limiter that is not mounted would make a meaningless row. */
async function probe(server: ContenderServer, scenario: Scenario): Promise<void> {
  const { contender } = server;
  const response = await fetch(`http://127.0.0.1:${server.ports[scenario]}/`, {
    headers: scenario === 'newKey' ? { [KEY_HEADER]: `probe-${Date.now()}` } : {},
  });
  await response.text();
  if (response.status !== 200) throw new Error(`${contender.id} (${scenario}): probe got HTTP ${response.status}, expected 200`);
  const header = contender.probeHeader;
  if (header !== undefined && !response.headers.has(header)) {
    throw new Error(`${contender.id} (${scenario}): probe response has no ${header} header; is the limiter mounted?`);
  }
  if (header === undefined && contender.library === 'bare' && response.headers.has('ratelimit')) {
    throw new Error(`${contender.id} (${scenario}): a bare server sent rate-limit headers`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Loads `server` for `preloadMs` unmeasured (a server that sat idle while the others ran has a shrunken
 * heap and cold caches; the bare server, which runs next to every contender, would otherwise be the
 * only warm one), then measures `ms` on the same connections: the server's CPU time between two
 * readings, and the responses that arrived between them.
 */
async function slice(
  server: ContenderServer,
  scenario: Scenario,
  timing: { preloadMs: number; ms: number },
  connections: number,
  round: number,
  pair: string,
): Promise<SliceSample> {
  const instance = autocannon({
    url: `http://127.0.0.1:${server.ports[scenario]}/`,
    connections,
    // Stopped by hand below; the duration is a backstop.
    duration: (timing.preloadMs + timing.ms) / 1000 + 5,
    // autocannon only stops on a sample tick: short ticks make stop() quick.
    sampleInt: 50,
    headers: requestHeaders(scenario),
    idReplacement: scenario === 'newKey',
  });
  let counting = false;
  let non2xx = 0;
  const latencies: number[] = [];
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (!counting) return;
    latencies.push(responseTimeMs);
    if (statusCode < 200 || statusCode > 299) non2xx++;
  });
  try {
    await sleep(timing.preloadMs);
    const cpuBefore = await server.cpuMicros();
    counting = true;
    const started = performance.now();
    await sleep(timing.ms);
    const cpuAfter = await server.cpuMicros();
    counting = false;
    const seconds = (performance.now() - started) / 1000;
    instance.stop();
    const result = await instance;
    return {
      round,
      pair,
      requests: latencies.length,
      seconds,
      cpuMicros: cpuAfter - cpuBefore,
      p99Ms: quantileOf(latencies, 0.99),
      non2xx,
      errors: result.errors + result.timeouts,
    };
  } finally {
    instance.stop();
  }
}

function pickContenders(options: HttpBenchOptions, skipped: { id: string; reason: string }[], redisAvailable: boolean): HttpContender[] {
  const wanted = options.only === undefined ? undefined : new Set(options.only);
  const frameworks = new Set(HTTP_CONTENDERS.filter((c) => wanted?.has(c.id) ?? true).map((c) => c.framework));
  return HTTP_CONTENDERS.filter((contender) => {
    if (!frameworks.has(contender.framework)) return false;
    if (wanted !== undefined && !wanted.has(contender.id) && contender.library !== 'bare' && contender.library !== 'noop') return false;
    const reason =
      contender.store === 'redis' && options.noRedis
        ? 'Redis contenders turned off (--no-redis)'
        : contender.store === 'redis' && !redisAvailable
          ? 'redis-server is not installed'
          : undefined;
    if (reason !== undefined) {
      skipped.push({ id: contender.id, reason });
      return false;
    }
    return true;
  });
}

export async function runHttpBench(options: HttpBenchOptions): Promise<HttpBenchResult> {
  const startedAt = new Date();
  const redisVersion = redisServerVersion();
  if (redisVersion === undefined && !options.noRedis && process.env.CI === 'true') {
    throw new Error('bench:http: redis-server is not installed, and CI=true makes a missing Redis a failure');
  }
  const skipped: { id: string; reason: string }[] = [];
  const contenders = pickContenders(options, skipped, redisVersion !== undefined);
  const scenarios = options.scenarios ?? SCENARIOS.map((s) => s.id);
  const frameworks = [...new Set(contenders.map((c) => c.framework))];
  // Per scenario: one warm-up slice per server, then per round two slices (bare + contender) per non-bare server.
  const perScenario = (framework: Framework) => {
    const count = contenders.filter((c) => c.framework === framework).length;
    return count + 2 * (count - 1) * options.rounds;
  };
  const slicesTotal = frameworks.reduce((sum, framework) => sum + perScenario(framework) * scenarios.length, 0);
  let slicesDone = 0;

  let redis: RedisServer | undefined;
  const servers: ContenderServer[] = [];
  const groups: GroupResult[] = [];
  try {
    if (contenders.some((c) => c.store === 'redis')) redis = await startRedisServer();
    for (const framework of frameworks) {
      const progress = (phase: ProgressEvent['phase'], scenario: Scenario | undefined, round: number) =>
        options.onProgress?.({ framework, scenario, phase, round, rounds: options.rounds, slicesDone, slicesTotal });
      progress('starting', undefined, 0);
      const group = contenders.filter((c) => c.framework === framework);
      const started = await Promise.all(
        group.map((contender) =>
          ContenderServer.fork(contender, {
            ...(redis ? { redisPort: redis.port } : {}),
            ...(options.profile?.includes(contender.id) && options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
          }),
        ),
      );
      servers.push(...started);
      for (const server of started) if (options.profile?.includes(server.contender.id)) await server.startCpuProfile();
      for (const scenario of scenarios) {
        for (const server of started) await probe(server, scenario);
        progress('warm-up', scenario, 0);
        for (const server of started) {
          if (options.warmupMs > 0)
            await slice(server, scenario, { preloadMs: options.warmupMs, ms: 50 }, options.connections, -1, 'warm-up');
          slicesDone++;
        }
        const samples = new Map<string, SliceSample[]>(started.map((server) => [server.contender.id, []]));
        const bare = started.find((server) => server.contender.baseline);
        if (bare === undefined) throw new Error(`bench:http: no bare ${framework} server`);
        const others = started.filter((server) => server !== bare);
        for (let round = 0; round < options.rounds; round++) {
          progress('round', scenario, round + 1);
          // Each contender's slice sits right next to a bare slice (before it in even rounds, after it in
          // odd ones), so a pair sees the same machine; the rotation changes who runs first.
          for (const server of rotate(others, round)) {
            const pair = server.contender.id;
            const order = round % 2 === 0 ? [bare, server] : [server, bare];
            for (const current of order) {
              const timing = { preloadMs: options.preloadMs, ms: options.sliceMs };
              samples.get(current.contender.id)?.push(await slice(current, scenario, timing, options.connections, round, pair));
              slicesDone++;
            }
          }
        }
        const baseline = samples.get(group.find((c) => c.baseline)?.id ?? '') ?? [];
        groups.push({
          framework,
          scenario,
          contenders: started.map((server) => {
            const own = samples.get(server.contender.id) ?? [];
            return { contender: server.contender, samples: own, figures: contenderFigures(own, baseline) };
          }),
        });
      }
      await Promise.all(started.map((server) => server.stop()));
      progress('done', undefined, options.rounds);
    }
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
    await redis?.stop();
  }

  const { onProgress: _onProgress, ...recorded } = options;
  return {
    startedAt: startedAt.toISOString(),
    seconds: (Date.now() - startedAt.getTime()) / 1000,
    ...machine(),
    redisVersion,
    versions: packageVersions(PACKAGES),
    options: recorded,
    skipped,
    groups,
  };
}
