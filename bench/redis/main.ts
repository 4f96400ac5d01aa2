/**
 * `npm run bench:redis`: RedisStore against rate-limiter-flexible's RateLimiterRedis and rate-limit-redis,
 * on ioredis, and RedisStore against rate-limit-redis on node-redis (the `redis` package), in the same run,
 * against a redis-server this script starts (and stops by PID). The node-redis contenders use database 1,
 * so their keys have the same names as the ioredis ones without sharing them.
 *
 * Per library and scenario (one hot key; 100k keys), in interleaved rounds: decisions/s with IN_FLIGHT
 * calls in flight through one connection, Redis commands per decision, redis-server CPU µs per
 * decision (/proc/<pid>/stat utime+stime), Node CPU µs per decision, and Redis bytes per key (MEMORY USAGE).
 * Writes the `redis` section of bench/RESULTS.md.
 *
 *   --quick            a smoke run (also BENCH_QUICK=1) that leaves RESULTS.md alone
 *   --rounds N --round MS
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Redis } from 'ioredis';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import { RateLimiter, RedisStore } from '../../src/index.js';
import { startRedisServer } from '../../test/setup/redisServers.js';
import { integerOption, parseCommandLine, QUICK_OPTION } from '../lib/cli.js';
import { packageVersions } from '../lib/environment.js';
import { markdownTable } from '../lib/markdown.js';
import { writeResultsJson, writeResultsSection } from '../lib/results.js';
import { rotate, type Stat, stat } from '../lib/stats.js';
import { IN_FLIGHT, type RedisResults } from './results.js';

const SCRIPT = 'bench:redis';
const { values, command } = parseCommandLine(
  { ...QUICK_OPTION, rounds: { type: 'string' }, round: { type: 'string' } },
  { script: SCRIPT },
);
const QUICK = values.quick;
// Many short rounds: the machine's speed swings within seconds, and a ratio is only fair between
// slices run close together, so each round's ratio pairs slices run back to back.
const ROUND_MS = integerOption(SCRIPT, 'round', values.round ?? process.env.BENCH_ROUND_MS, QUICK ? 300 : 500, 50);
const ROUNDS = integerOption(SCRIPT, 'rounds', values.rounds ?? process.env.BENCH_ROUNDS, QUICK ? 3 : 20);
const KEY_COUNT = 100_000;
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ
const SLUICE_IOREDIS = 'sluice RedisStore (ioredis)';
/** The same contender once more, on its own connection: the A/A pair whose ratio shows the noise of a paired round. */
const SLUICE_IOREDIS_TWIN = 'sluice RedisStore (ioredis, A/A twin)';
const SLUICE_AUTO_PIPELINING = 'sluice RedisStore (ioredis, enableAutoPipelining)';
const SLUICE_NODE_REDIS = 'sluice RedisStore (node-redis)';
const RLR_NODE_REDIS = 'rate-limit-redis (node-redis)';

/** A node-redis client with the default modules and protocol, as `createClient({ url })` makes it. */
const nodeRedisClient = (url: string) => createClient({ url });
type NodeRedisClient = ReturnType<typeof nodeRedisClient>;

interface Contender {
  readonly name: string;
  /** Closes this contender's connection. */
  close(): Promise<unknown>;
  /** The Redis database its keys live in (0: the ioredis contenders, 1: the node-redis ones). */
  readonly db: number;
  /** Commands this contender's client sent (each one request to Redis). */
  readonly sent: { count: number };
  /** One decision; resolves whether allowed or not (never rejects on a denial). */
  decide(key: string): Promise<unknown>;
  /** The Redis key holding `key`'s state (for MEMORY USAGE). */
  redisKey(key: string): string;
  /** For a peer: that key under a prefix as long as sluice's namespace (`sl:` + 4-character fingerprint + `|`). */
  readonly equalLength?: { redisKey(key: string): string; decide(key: string): Promise<unknown> };
}

function redisCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of the full line)
}

/**
 * Counts the commands a client sends through `sendCommand`, each one request to Redis: ioredis sends every command
 * through it (an auto-pipeline too, command by command), and both contenders on node-redis call it (sluice's
 * adapter, and rate-limit-redis' recommended setup).
 */
function countCommands<Send extends (...args: never[]) => unknown>(client: { sendCommand: Send }): { count: number } {
  const sent = { count: 0 };
  const send = client.sendCommand;
  client.sendCommand = ((...args: Parameters<Send>) => {
    sent.count++;
    return send.apply(client, args);
  }) as Send;
  return sent;
}

interface Sample {
  decisions: number;
  ms: number;
  commands: number;
  cpuTicks: number;
  /** This process' CPU time (user + system), µs. */
  nodeCpuUs: number;
}

async function measure(contender: Contender, keyAt: (i: number) => string, pid: number): Promise<Sample> {
  const commandsBefore = contender.sent.count;
  const cpuBefore = redisCpuTicks(pid);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + ROUND_MS;
  let decisions = 0;
  let next = Math.floor(Math.random() * KEY_COUNT);
  const worker = async () => {
    while (performance.now() < until) {
      await contender.decide(keyAt(next++));
      decisions++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const ms = performance.now() - started;
  const cpuTicks = redisCpuTicks(pid) - cpuBefore;
  const nodeCpu = process.cpuUsage(nodeBefore);
  const commands = contender.sent.count - commandsBefore;
  return { decisions, ms, commands, cpuTicks, nodeCpuUs: nodeCpu.user + nodeCpu.system };
}

interface Figures {
  readonly rate: Stat;
  /** redis-server CPU µs per decision. */
  readonly cpu: number;
  /** This process' CPU µs per decision. */
  readonly nodeCpu: number;
}

/**
 * `ours`' decisions/s over the best of `peers`' in the same round (slices run back to back), over the rounds;
 * the CPU ratios (per decision) and the ratio of the medians are against `against`, the peer named in the summary.
 */
function pairedRatio(
  samples: ReadonlyMap<string, readonly Sample[]>,
  scenario: string,
  ours: string,
  peers: readonly string[],
  against: Figures | undefined,
): { summary: Stat & { cpu: number }; nodeCpu: number; ofMedians: number; rounds: number } | undefined {
  const oursFigures = figuresOf(samples.get(`${scenario}|${ours}`) ?? []);
  if (against === undefined || oursFigures === undefined) return undefined;
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rate = (name: string) => {
      const sample = samples.get(`${scenario}|${name}`)?.[round];
      return sample === undefined ? 0 : sample.decisions / sample.ms;
    };
    const best = Math.max(...peers.map(rate));
    if (best > 0) perRound.push(rate(ours) / best);
  }
  return {
    summary: { ...stat(perRound), cpu: oursFigures.cpu / against.cpu },
    nodeCpu: oursFigures.nodeCpu / against.nodeCpu,
    ofMedians: oursFigures.rate.median / against.rate.median,
    rounds: perRound.length,
  };
}

/** A contender's figures over its samples of one scenario; undefined when it made no decisions. */
function figuresOf(list: readonly Sample[]): Figures | undefined {
  const decisions = list.reduce((s, x) => s + x.decisions, 0);
  if (decisions === 0) return undefined;
  const ticks = list.reduce((s, x) => s + x.cpuTicks, 0);
  const nodeUs = list.reduce((s, x) => s + x.nodeCpuUs, 0);
  return {
    rate: stat(list.map((x) => (x.decisions / x.ms) * 1000)),
    cpu: ((ticks / CLOCK_TICKS_PER_SECOND) * 1e6) / decisions,
    nodeCpu: nodeUs / decisions,
  };
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const pid = server.process.pid as number;
  // ioredis defaults (auto-pipelining off), as the peers' docs show it; one sluice contender turns auto-pipelining on.
  const connect = (db = 0, enableAutoPipelining = false) =>
    new Redis({ host: '127.0.0.1', port: server.port, db, ...(enableAutoPipelining ? { enableAutoPipelining } : {}) });
  const connectNodeRedis = async (): Promise<NodeRedisClient> => {
    const client = nodeRedisClient(`redis://127.0.0.1:${server.port}/1`);
    client.on('error', (error: unknown) => process.stderr.write(`node-redis: ${String(error)}\n`));
    await client.connect();
    return client;
  };
  const admin = connect();
  const admins = [admin, connect(1)];
  try {
    const sluiceClient = connect();
    // Like the peers' 10^9 points per hour window: never refused in a run, and a refill of one token per window, so every
    // call writes its key and keys live through the run (with a refill of 1000/s a bucket would be full again a ms
    // after each call, and the script would delete its key instead of writing it: another, cheaper workload).
    const neverRefused = (client: Redis | NodeRedisClient) =>
      new RateLimiter({ capacity: 1e8, refillRate: 1, interval: '1h', store: new RedisStore({ client }) });
    const sluice = neverRefused(sluiceClient);
    const sluiceOnIoredis = (name: string, client: Redis, limiter: RateLimiter): Contender => ({
      name,
      close: () => client.quit(),
      db: 0,
      sent: countCommands(client),
      decide: (key) => limiter.consume(key),
      redisKey: (key) => RedisStore.keyOf(limiter, key),
    });
    const twinClient = connect();
    const twin = neverRefused(twinClient);
    const autoPipeliningClient = connect(0, true);
    const autoPipelining = neverRefused(autoPipeliningClient);
    const rlfClient = connect();
    const rlf = new RateLimiterRedis({ storeClient: rlfClient, points: 1e9, duration: 3600, useRedisPackage: false });
    // Names as long as sluice's `sl:Ab3x|key` (8 bytes before the key), for the equal-length column.
    const rlfEqual = new RateLimiterRedis({
      storeClient: rlfClient,
      points: 1e9,
      duration: 3600,
      keyPrefix: 'rlflx-8',
      useRedisPackage: false,
    });
    const rlrClient = connect();
    const rlr = new RateLimitRedisStore({
      sendCommand: (command: string, ...args: string[]) => rlrClient.call(command, ...args) as Promise<number>,
    });
    rlr.init({ windowMs: 3_600_000 } as Parameters<typeof rlr.init>[0]);
    const rlrEqual = new RateLimitRedisStore({
      sendCommand: (command: string, ...args: string[]) => rlrClient.call(command, ...args) as Promise<number>,
      prefix: 'rl:eq-8:',
    });
    rlrEqual.init({ windowMs: 3_600_000 } as Parameters<typeof rlrEqual.init>[0]);

    const sluiceNodeClient = await connectNodeRedis();
    const sluiceNode = neverRefused(sluiceNodeClient);
    const rlrNodeClient = await connectNodeRedis();
    // As rate-limit-redis' readme configures it for node-redis.
    const rlrNodeSend = (...args: string[]) => rlrNodeClient.sendCommand(args) as Promise<RedisReply>;
    const rlrNode = new RateLimitRedisStore({ sendCommand: rlrNodeSend });
    rlrNode.init({ windowMs: 3_600_000 } as Parameters<typeof rlrNode.init>[0]);
    const rlrNodeEqual = new RateLimitRedisStore({ sendCommand: rlrNodeSend, prefix: 'rl:eq-8:' });
    rlrNodeEqual.init({ windowMs: 3_600_000 } as Parameters<typeof rlrNodeEqual.init>[0]);

    const contenders: Contender[] = [
      sluiceOnIoredis(SLUICE_IOREDIS, sluiceClient, sluice),
      sluiceOnIoredis(SLUICE_IOREDIS_TWIN, twinClient, twin),
      sluiceOnIoredis(SLUICE_AUTO_PIPELINING, autoPipeliningClient, autoPipelining),
      {
        name: 'rate-limiter-flexible RateLimiterRedis (ioredis)',
        close: () => rlfClient.quit(),
        db: 0,
        sent: countCommands(rlfClient),
        decide: (key) => rlf.consume(key).catch((r: unknown) => r),
        redisKey: (key) => `rlflx:${key}`,
        equalLength: { redisKey: (key) => `rlflx-8:${key}`, decide: (key) => rlfEqual.consume(key).catch((r: unknown) => r) },
      },
      {
        name: 'rate-limit-redis (ioredis)',
        close: () => rlrClient.quit(),
        db: 0,
        sent: countCommands(rlrClient),
        decide: (key) => rlr.increment(key),
        redisKey: (key) => `rl:${key}`,
        equalLength: { redisKey: (key) => `rl:eq-8:${key}`, decide: (key) => rlrEqual.increment(key) },
      },
      {
        name: SLUICE_NODE_REDIS,
        close: () => sluiceNodeClient.quit(),
        db: 1,
        sent: countCommands(sluiceNodeClient),
        decide: (key) => sluiceNode.consume(key),
        redisKey: (key) => RedisStore.keyOf(sluiceNode, key),
      },
      {
        name: RLR_NODE_REDIS,
        close: () => rlrNodeClient.quit(),
        db: 1,
        sent: countCommands(rlrNodeClient),
        decide: (key) => rlrNode.increment(key),
        redisKey: (key) => `rl:${key}`,
        equalLength: { redisKey: (key) => `rl:eq-8:${key}`, decide: (key) => rlrNodeEqual.increment(key) },
      },
    ];
    const scenarios = [
      { name: 'one hot key', keyAt: (_: number) => 'hot' },
      { name: '100k keys', keyAt: (i: number) => `user:${i % KEY_COUNT}` },
    ];
    // Warm up: scripts loaded, JIT warm.
    for (const c of contenders) for (let i = 0; i < 2000; i++) await c.decide(`warm:${i % 10}`);

    const samples = new Map<string, Sample[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of scenarios) {
        // Rotate who goes first, so no one always runs on a warmer (or noisier) machine.
        for (const contender of rotate(contenders, round)) {
          const sample = await measure(contender, scenario.keyAt, pid);
          const id = `${scenario.name}|${contender.name}`;
          samples.set(id, [...(samples.get(id) ?? []), sample]);
          process.stderr.write(
            `round ${round + 1}/${ROUNDS} ${scenario.name.padEnd(12)} ${contender.name.padEnd(40)} ${Math.round((sample.decisions / sample.ms) * 1000)} decisions/s\n`,
          );
        }
      }
    }

    // Cached denials: a flood on one denied key.
    const floodLimiter = new RateLimiter({
      capacity: 1,
      refillRate: 1,
      interval: '1h',
      prefix: 'flood:',
      store: new RedisStore({ client: sluiceClient }),
    });
    await floodLimiter.consume('flooder');
    const floodBefore = contenders[0]?.sent.count ?? 0;
    let floodDenied = 0;
    for (let i = 0; i < 10_000; i++) if (!(await floodLimiter.consume('flooder')).allowed) floodDenied++;
    const floodCommands = (contenders[0]?.sent.count ?? 0) - floodBefore;

    // Bytes per key, on the 100k-key scenario's keys (they live through the run).
    const sampleKeys = Array.from({ length: 200 }, (_, i) => `user:${i * 499}`);
    const meanMemoryUsage = async (redisKey: (key: string) => string, db: number): Promise<number> => {
      let total = 0;
      let counted = 0;
      for (const key of sampleKeys) {
        const size = (await (admins[db] ?? admin).call('MEMORY', 'USAGE', redisKey(key), 'SAMPLES', '0')) as number | null;
        if (size !== null) {
          total += size;
          counted++;
        }
      }
      return counted === 0 ? Number.NaN : total / counted;
    };
    const bytes: Record<string, number> = {};
    for (const c of contenders) bytes[c.name] = await meanMemoryUsage(c.redisKey, c.db);

    // The same with names equally long ('sl:Ab3x|user:N', 'rlflx-8:user:N', 'rl:eq-8:user:N'): Redis' per-key
    // overhead depends on the name's length, so this compares the value formats.
    const sameBytes: Record<string, number> = {};
    for (const c of contenders) {
      const short = c.equalLength;
      if (short === undefined) {
        sameBytes[c.name] = bytes[c.name] ?? Number.NaN;
        continue;
      }
      for (const key of sampleKeys) await short.decide(key);
      sameBytes[c.name] = await meanMemoryUsage(short.redisKey, c.db);
    }

    const rows: string[][] = [];
    const jsonRows: RedisResults['rows'][number][] = [];
    const figures = new Map<string, Figures>(); // `${scenario}|${library}`
    for (const scenario of scenarios) {
      for (const c of contenders) {
        const list = samples.get(`${scenario.name}|${c.name}`) ?? [];
        const decisions = list.reduce((s, x) => s + x.decisions, 0);
        const commands = list.reduce((s, x) => s + x.commands, 0);
        const { rate, cpu: cpuUs, nodeCpu } = figuresOf(list) ?? { rate: stat([]), cpu: Number.NaN, nodeCpu: Number.NaN };
        figures.set(`${scenario.name}|${c.name}`, { rate, cpu: cpuUs, nodeCpu });
        jsonRows.push({
          scenario: scenario.name,
          library: c.name,
          decisionsPerSec: rate,
          cpuUsPerDecision: cpuUs,
          roundTripsPerDecision: commands / decisions,
          bytesPerKey: bytes[c.name] ?? null,
        });
        rows.push([
          scenario.name,
          c.name,
          Math.round(rate.median).toLocaleString('en-US'),
          `${Math.round(rate.min / 1000)}k–${Math.round(rate.max / 1000)}k`,
          (commands / decisions).toFixed(3),
          cpuUs.toFixed(2),
          nodeCpu.toFixed(2),
          Math.round(bytes[c.name] ?? Number.NaN).toString(),
          Math.round(sameBytes[c.name] ?? Number.NaN).toString(),
        ]);
      }
    }
    const ratios: string[] = [];
    const ratioSummary: Record<string, RedisResults['ratios'][string]> = {};
    const autoPipeliningSummary: Record<string, RedisResults['ratios'][string]> = {};
    const aaSummary: Record<string, RedisResults['ratios'][string]> = {};
    const nodeRedisSummary: Record<string, RedisResults['ratios'][string]> = {};
    const sluiceNames = new Set([SLUICE_IOREDIS, SLUICE_IOREDIS_TWIN, SLUICE_AUTO_PIPELINING, SLUICE_NODE_REDIS]);
    const ioredisPeers = contenders.filter((c) => c.db === 0 && !sluiceNames.has(c.name)).map((c) => c.name);
    const range = (s: Stat) => `${s.min.toFixed(2)}–${s.max.toFixed(2)}`;
    for (const scenario of scenarios) {
      const rateOf = (name: string | undefined) => figures.get(`${scenario.name}|${name}`)?.rate.median ?? 0;
      const fastest = ioredisPeers.reduce((a, b) => (rateOf(b) > rateOf(a) ? b : a));
      const variants = [
        { name: SLUICE_IOREDIS, label: 'on ioredis defaults', into: ratioSummary },
        { name: SLUICE_AUTO_PIPELINING, label: 'on ioredis with `enableAutoPipelining: true`', into: autoPipeliningSummary },
      ];
      for (const variant of variants) {
        const vsFastest = pairedRatio(samples, scenario.name, variant.name, ioredisPeers, figures.get(`${scenario.name}|${fastest}`));
        if (vsFastest === undefined) continue;
        variant.into[scenario.name] = vsFastest.summary;
        ratios.push(
          `- ${scenario.name}, ${variant.label}: sluice makes **${vsFastest.summary.median.toFixed(2)}×** the decisions/s of the faster peer in the same round ` +
            `(goal ≥ 1.5×; median of ${vsFastest.rounds} rounds, ${range(vsFastest.summary)}; ratio of the medians above: ${vsFastest.ofMedians.toFixed(2)}×), ` +
            `at **${vsFastest.summary.cpu.toFixed(2)}×** its redis-server CPU and **${vsFastest.nodeCpu.toFixed(2)}×** its Node CPU per decision.`,
        );
      }
      const aa = pairedRatio(
        samples,
        scenario.name,
        SLUICE_IOREDIS_TWIN,
        [SLUICE_IOREDIS],
        figures.get(`${scenario.name}|${SLUICE_IOREDIS}`),
      );
      if (aa) {
        aaSummary[scenario.name] = aa.summary;
        ratios.push(
          `- ${scenario.name}, A/A (two identical sluice contenders on ioredis defaults): **${aa.summary.median.toFixed(2)}×** ` +
            `(median of ${aa.rounds} rounds, ${range(aa.summary)}): the noise of one paired round.`,
        );
      }
      const onNodeRedis = pairedRatio(
        samples,
        scenario.name,
        SLUICE_NODE_REDIS,
        [RLR_NODE_REDIS],
        figures.get(`${scenario.name}|${RLR_NODE_REDIS}`),
      );
      if (onNodeRedis) {
        nodeRedisSummary[scenario.name] = onNodeRedis.summary;
        const s = onNodeRedis.summary;
        ratios.push(
          `- ${scenario.name}, on node-redis: sluice makes **${s.median.toFixed(2)}×** the decisions/s of rate-limit-redis in the same round ` +
            `(goal ≥ 1.5×; median of ${onNodeRedis.rounds} rounds, ${range(s)}; ratio of the medians above: ` +
            `${onNodeRedis.ofMedians.toFixed(2)}×), at **${s.cpu.toFixed(2)}×** its redis-server CPU and **${onNodeRedis.nodeCpu.toFixed(2)}×** its Node CPU per decision.`,
        );
      }
    }
    const redisVersion = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? 'unknown';
    const markdown = [
      '## Redis store',
      '',
      `Run of ${new Date().toISOString().slice(0, 10)}. Command: \`${command}\` (${ROUNDS} interleaved rounds of ${ROUND_MS} ms per library and scenario, ${IN_FLIGHT} calls in flight`,
      `through one connection each (ioredis, or node-redis ${packageVersions(['redis']).redis ?? ''} in database 1), against a redis-server ${redisVersion} started by the script; Node ${process.version}).`,
      'Limits large enough that every call is allowed, so each library does its full write path, and keys that live through the run',
      '(sluice: capacity 10^8 (its most with this refill), refill 1 per hour, so every call writes its key; the peers: 10^9 points per hour). sluice runs on ioredis defaults,',
      'on a second identical contender (the A/A pair: the noise of a paired round), and on a client with `enableAutoPipelining: true`;',
      'the peers on ioredis defaults. Medians of the rounds;',
      'round trips per decision = commands the client sent (ioredis: each command of an auto-pipeline counts; node-redis writes the commands of one tick together, each still a request) / decisions; CPU = redis-server utime+stime from /proc / decisions',
      '(Node CPU: the benchmark process, process.cpuUsage(), same division);',
      'bytes per key = mean MEMORY USAGE of 200 keys (`user:N`), first with the default names (`sl:<fingerprint>|key`, `rlflx:key`, `rl:key`),',
      'then with prefixes that make the names equally long (`sl:Ab3x|key`, `rlflx-8:key`, `rl:eq-8:key`): Redis 7 keeps names of up to 14',
      'bytes in a smaller allocation (and up to 30 in the next), so a longer name alone can cost 16 bytes (all three store one integer per key).',
      '',
      markdownTable(
        [
          'scenario',
          'library',
          'decisions/s (median)',
          'min–max',
          'round trips / decision',
          'redis-server CPU µs / decision',
          'Node CPU µs / decision',
          'bytes / key (default prefixes)',
          'bytes / key (equal name lengths)',
        ],
        rows,
      ),
      '',
      ...ratios,
      `- A flood on one denied key (10,000 sequential calls, ${floodDenied} denied): ${floodCommands} round trips in total (deny cache).`,
      '',
      `On ${cpus().length} shared, noisy cores: compare ratios within one run, not absolute figures across runs.`,
    ].join('\n');
    const result: RedisResults = {
      redisVersion,
      rounds: ROUNDS,
      rows: jsonRows,
      ratios: ratioSummary,
      autoPipeliningRatios: autoPipeliningSummary,
      aaRatios: aaSummary,
      nodeRedisRatios: nodeRedisSummary,
    };
    writeResultsJson(QUICK ? 'redis.quick' : 'redis', result);
    if (!QUICK) writeResultsSection('redis', markdown);
    console.log(`\n${markdown}`);
    await Promise.all(contenders.map((c) => c.close()));
  } finally {
    await Promise.all(admins.map((a) => a.quit().catch(() => undefined)));
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
