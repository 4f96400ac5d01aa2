/**
 * `npm run soak`: what live traffic sees when Redis dies, and when a client floods us with new keys.
 *
 * Phase 1 (Redis outage): Express + sluice + RedisStore (insurance limiter as fallback) under autocannon
 * load at 80% of the maximum measured just before, keys spread over CLIENTS clients (a few of them heavy). Redis
 * is killed (SIGKILL, by PID) and later restarted on the same port, at the times `plan` sets.
 * Phase 2 (key flood): `plan.floodRequests` requests, each with a new key, through Fastify + sluice on a MemoryStore
 * capped at `plan.floodMaxKeys` keys, while five legitimate clients keep calling; RSS must stay under a bound derived
 * from the measured bytes per key, and the legitimate clients must be limited exactly.
 * Phase 3 (long-key flood): the same with 200,000 new keys of 8,000 characters each (held as digests, so the
 * same bound holds with the digest's size in place of the key string's).
 *
 * Writes bench/soak.svg and the `soak` section of bench/RESULTS.md, and exits non-zero when a check fails.
 * `--smoke`: a short version (CI) with the same checks, scaled down.
 */
import { request } from 'node:http';
import autocannon, { type AutocannonInstance, type AutocannonOptions } from 'autocannon';
import { startRedisServer } from '../../test/setup/redisServers.js';
import type { CoreResults } from '../core/results.js';
import { renderSvg } from '../lib/charts.js';
import { ChildServer } from '../lib/childServer.js';
import { parseCommandLine } from '../lib/cli.js';
import { markdownTable } from '../lib/markdown.js';
import { scriptPath } from '../lib/paths.js';
import { readResultsJson, writeBenchFile, writeResultsJson, writeResultsSection } from '../lib/results.js';
import { quantileOf } from '../lib/stats.js';
import { type Second, soakCharts } from './charts.js';
import type { SoakCounters, SoakServerApi } from './server.js';

const { values, command } = parseCommandLine({ smoke: { type: 'boolean', default: false } }, { script: 'soak' });
const smoke = values.smoke;
const plan = smoke
  ? {
      probeSec: 1,
      durationSec: 10,
      killAtSec: 3,
      restartAtSec: 6,
      warmupSec: 2,
      floodRequests: 50_000,
      longFloodRequests: 20_000,
      floodMaxKeys: 5_000,
    }
  : {
      probeSec: 5,
      durationSec: 60,
      killAtSec: 20,
      restartAtSec: 35,
      warmupSec: 5,
      floodRequests: 1_000_000,
      longFloodRequests: 200_000,
      floodMaxKeys: 100_000,
    };
/** Characters of a key in the long-key flood. */
const LONG_KEY_LENGTH = 8_000;
const CLIENTS = 10_000;
const TIMEOUT_MS = 100; // the limiter's timeoutMs in ./server.ts
const log = (line: string) => process.stderr.write(`${line}\n`);

// ---- the app under test in its own process ------------------------------------------------------
interface App {
  readonly port: number;
  counters(gc?: boolean): Promise<SoakCounters>;
  stop(): Promise<void>;
}

async function startApp(mode: string, arg: string): Promise<App> {
  const child = await ChildServer.fork<number, SoakServerApi>(scriptPath('./server.ts', import.meta.url), {
    name: `soak server (${mode})`,
    args: [mode, arg],
    execArgv: ['--expose-gc'],
  });
  return { port: child.ready, counters: (gc = false) => child.request('counters', gc), stop: () => child.stop() };
}

/** autocannon options that put a client id in `x-client`, drawn by `nextClient`. */
function load(port: number, nextClient: () => string, extra: Omit<AutocannonOptions, 'url'>): AutocannonInstance {
  return autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: 32,
    requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-client': nextClient() } }) }],
    ...extra,
  });
}

// ---- phase 1: Redis outage under load ----------------------------------------------------------
async function redisOutage() {
  let redis = await startRedisServer();
  const redisPort = redis.port;
  const app = await startApp('express-redis', String(redisPort));
  // Most clients call rarely; 10 heavy ones send a fifth of the traffic and run into their limits.
  const randomClient = () =>
    Math.random() < 0.2 ? `heavy-${Math.floor(Math.random() * 10)}` : `client-${Math.floor(Math.random() * (CLIENTS - 10))}`;

  log(`probing the maximum for ${plan.probeSec} s...`);
  const probe = await load(app.port, randomClient, { duration: plan.probeSec });
  const maxRate = probe.requests.average;
  const rate = Math.max(100, Math.round(maxRate * 0.8));
  log(`maximum ≈ ${maxRate.toFixed(0)} req/s; soaking at ${rate} req/s for ${plan.durationSec} s`);

  const seconds: Second[] = [];
  let current = { latencies: [] as number[], ok: 0, limited: 0, other: 0, errors: 0 };
  const start = Date.now();
  const instance = load(app.port, randomClient, { duration: plan.durationSec, overallRate: rate, timeout: 5 });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    current.latencies.push(responseTime);
    if (statusCode === 200) current.ok++;
    else if (statusCode === 429) current.limited++;
    else current.other++;
  });
  instance.on('reqError', () => {
    current.errors++;
  });

  let heapAfterWarmup = 0;
  let previous = await app.counters();
  const ticker = setInterval(async () => {
    const t = Math.round((Date.now() - start) / 1000);
    const sample = current;
    current = { latencies: [], ok: 0, limited: 0, other: 0, errors: 0 };
    const counters = await app.counters(t === plan.warmupSec);
    if (t === plan.warmupSec) heapAfterWarmup = counters.heapUsed;
    seconds.push({
      t,
      allowed: sample.ok,
      denied: sample.limited,
      degraded: counters.degraded - previous.degraded,
      other: sample.other,
      errors: sample.errors,
      p99: sample.latencies.length === 0 ? 0 : quantileOf(sample.latencies, 0.99),
      heapMb: counters.heapUsed / 2 ** 20,
    });
    previous = counters;
  }, 1000);

  const killTimer = setTimeout(() => {
    log(`t=${plan.killAtSec}s: killing redis-server (pid ${redis.process.pid})`);
    void redis.stop(true);
  }, plan.killAtSec * 1000);
  const restartTimer = setTimeout(async () => {
    log(`t=${plan.restartAtSec}s: restarting redis-server on port ${redisPort}`);
    redis = await startRedisServer({ port: redisPort });
  }, plan.restartAtSec * 1000);

  const result = await instance;
  clearInterval(ticker);
  clearTimeout(killTimer);
  clearTimeout(restartTimer);
  const final = await app.counters(true);
  await app.stop();
  await redis.stop();

  const outage = seconds.filter((s) => s.t > plan.killAtSec && s.t <= plan.restartAtSec);
  const lastDegraded = Math.max(0, ...seconds.filter((s) => s.degraded > 0).map((s) => s.t));
  return {
    maxRate,
    rate,
    seconds,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    other: seconds.reduce((sum, s) => sum + s.other, 0),
    unhandledRejections: final.unhandledRejections,
    outageP99: Math.max(0, ...outage.map((s) => s.p99)),
    degradedTotal: final.degraded,
    recoveredAfterSec: lastDegraded > plan.restartAtSec ? lastDegraded - plan.restartAtSec : 0,
    heapAfterWarmup,
    heapAtEnd: final.heapUsed,
  };
}

// ---- phase 2: a flood of new keys -----------------------------------------------------------------
function get(port: number, client: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { 'x-client': client } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A flood of `requests` new keys made by `floodKey`. `keyStringBytes`: what the store holds per key for its
 * text ("flood-123456": about 40 bytes; a long key: its 65-character digest, about 120).
 */
async function keyFlood(requests: number, floodKey: (n: number) => string, keyStringBytes: number) {
  // Bytes per key from the core benchmark when it has run (it measures the MemoryStore alone), else a
  // conservative default; the key strings come on top.
  const core = readResultsJson<CoreResults>('core');
  const measured = core?.contenders.find((c) => c.name === 'sluice consume')?.bytesPerKey ?? null;
  const bytesPerKey = measured ?? 64;
  const app = await startApp('fastify-memory', String(plan.floodMaxKeys));
  // Warm up (JIT, buffers) with the legit clients' own traffic pattern before taking the baseline.
  await load(app.port, () => `warmup-${Math.floor(Math.random() * 100)}`, { amount: 20_000 });
  const baselineRss = (await app.counters(true)).rss;
  // 2× for Map growth by doubling and allocator slack, plus 96 MiB for V8's young generation,
  // HTTP buffers and JIT code that a million requests bring, none of which grows with keys.
  const storeBytes = plan.floodMaxKeys * (bytesPerKey + keyStringBytes);
  const rssBound = baselineRss + 2 * storeBytes + 96 * 2 ** 20;
  log(`flood: ${requests} new keys, maxKeys ${plan.floodMaxKeys}; RSS bound ${(rssBound / 2 ** 20).toFixed(0)} MiB`);

  let n = 0;
  const flood = load(app.port, () => floodKey(n++), { amount: requests });
  let peakRss = baselineRss;
  const legit = Array.from({ length: 5 }, (_, i) => ({ name: `legit-${i}`, sent: 0, allowed: 0 }));
  let flooding = true;
  const legitLoop = (async () => {
    while (flooding) {
      for (const client of legit) {
        const status = await get(app.port, client.name);
        client.sent++;
        if (status === 200) client.allowed++;
      }
      peakRss = Math.max(peakRss, (await app.counters()).rss);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const result = await flood;
  flooding = false;
  await legitLoop;
  const end = await app.counters();
  peakRss = Math.max(peakRss, end.rss);
  await app.stop();
  return {
    requests: result.requests.total,
    errors: result.errors,
    bytesPerKey,
    keyStringBytes,
    bytesPerKeySource: measured === null ? 'default (bench:core not run)' : 'bench/results/core.json',
    baselineRss,
    rssBound,
    peakRss,
    legit,
    unhandledRejections: end.unhandledRejections,
  };
}

// ---- run, check, report ------------------------------------------------------------------------
const outage = await redisOutage();
const flood = await keyFlood(plan.floodRequests, (n) => `flood-${n}`, 40);
// Unique at the start, so no two keys share a prefix either (a key function may cut keys short).
const longFlood = await keyFlood(plan.longFloodRequests, (n) => `${n}-`.padEnd(LONG_KEY_LENGTH, 'k'), 120);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const heapDrift = outage.heapAtEnd / outage.heapAfterWarmup - 1;
const checks: { label: string; ok: boolean; value: string }[] = [
  { label: 'responses other than 200/429', ok: outage.other === 0, value: String(outage.other) },
  { label: 'request errors and timeouts', ok: outage.errors + outage.timeouts === 0, value: String(outage.errors + outage.timeouts) },
  {
    label: 'unhandled rejections (server)',
    ok: outage.unhandledRejections + flood.unhandledRejections + longFlood.unhandledRejections === 0,
    value: String(outage.unhandledRejections + flood.unhandledRejections + longFlood.unhandledRejections),
  },
  {
    label: `p99 during the outage ≤ timeoutMs + 50 = ${TIMEOUT_MS + 50} ms`,
    ok: outage.outageP99 <= TIMEOUT_MS + 50,
    value: `${outage.outageP99} ms`,
  },
  { label: 'degraded answers during the outage', ok: outage.degradedTotal > 0, value: String(outage.degradedTotal) },
  { label: 'back to normal within 3 s of the restart', ok: outage.recoveredAfterSec <= 3, value: `${outage.recoveredAfterSec} s` },
  {
    label: 'heap at the end within 10% of heap after warm-up',
    ok: Math.abs(heapDrift) <= 0.1,
    value: `${mb(outage.heapAfterWarmup)} → ${mb(outage.heapAtEnd)} (${(heapDrift * 100).toFixed(1)}%)`,
  },
  { label: `flood: peak RSS under the bound`, ok: flood.peakRss <= flood.rssBound, value: `${mb(flood.peakRss)} ≤ ${mb(flood.rssBound)}` },
  { label: 'flood: request errors', ok: flood.errors === 0, value: String(flood.errors) },
  {
    label: 'flood: each legitimate client allowed exactly its capacity (10) as without the flood',
    ok: flood.legit.every((c) => c.allowed === Math.min(10, c.sent)),
    value: flood.legit.map((c) => `${c.allowed}/${c.sent}`).join(', '),
  },
  {
    label: `long-key flood: peak RSS under the bound`,
    ok: longFlood.peakRss <= longFlood.rssBound,
    value: `${mb(longFlood.peakRss)} ≤ ${mb(longFlood.rssBound)}`,
  },
  { label: 'long-key flood: request errors', ok: longFlood.errors === 0, value: String(longFlood.errors) },
  {
    label: 'long-key flood: each legitimate client allowed exactly its capacity (10)',
    ok: longFlood.legit.every((c) => c.allowed === Math.min(10, c.sent)),
    value: longFlood.legit.map((c) => `${c.allowed}/${c.sent}`).join(', '),
  },
];

const svg = await renderSvg(soakCharts(outage, plan));

const perSecond = markdownTable(
  ['t (s)', 'allowed', 'denied', 'degraded', 'errors/other', 'p99 (ms)', 'heap (MiB)'],
  outage.seconds.map((s) => [
    String(s.t),
    String(s.allowed),
    String(s.denied),
    String(s.degraded),
    String(s.errors + s.other),
    String(s.p99),
    s.heapMb.toFixed(1),
  ]),
);
const markdown = `## Soak: Redis outage and key flood (\`${command}\`)

Node ${process.version}. Phase 1: Express + sluice + RedisStore (timeoutMs ${TIMEOUT_MS}, in-memory insurance limiter),
${CLIENTS.toLocaleString('en-US')} clients, ${outage.rate} req/s (80% of the ${outage.maxRate.toFixed(0)} req/s measured first),
${plan.durationSec} s; Redis killed at ${plan.killAtSec} s and restarted at ${plan.restartAtSec} s. ${outage.total.toLocaleString('en-US')} requests.
Phase 2: ${flood.requests.toLocaleString('en-US')} requests with a new key each through Fastify + sluice (MemoryStore, maxKeys
${plan.floodMaxKeys.toLocaleString('en-US')}). RSS bound = RSS after warm-up (${mb(flood.baselineRss)}) + 2 × maxKeys × (${flood.bytesPerKey.toFixed(0)} B/key
from ${flood.bytesPerKeySource} + 40 B key string) + 96 MiB (young generation, buffers, JIT).
Phase 3: ${longFlood.requests.toLocaleString('en-US')} requests with a new ${LONG_KEY_LENGTH.toLocaleString('en-US')}-character key each, same app
and bound (RSS after warm-up ${mb(longFlood.baselineRss)}), with 120 B for the key's digest in place of the key string.

![soak](soak.svg)

${markdownTable(
  ['check', 'result', 'value'],
  checks.map((c) => [c.label, c.ok ? 'PASS' : 'FAIL', c.value]),
)}

<details><summary>Per second</summary>

${perSecond}

</details>
`;
console.log(markdown);
writeResultsJson(smoke ? 'soak.smoke' : 'soak', { plan, outage, flood, longFlood, checks });
if (!smoke) {
  writeBenchFile('soak.svg', svg);
  writeResultsSection('soak', markdown);
}
const failed = checks.filter((c) => !c.ok);
if (failed.length > 0) {
  log(`soak FAILED: ${failed.map((c) => c.label).join('; ')}`);
  process.exit(1);
}
log('soak passed');
process.exit(0);
