/**
 * A Redis Cluster with one master stalled (SIGSTOP) or killed (SIGKILL): only the keys on that master's slots
 * may be degraded; keys on the healthy masters keep being decided by Redis, and everything recovers once the
 * master is back. Runs on a 3-master cluster of its own (started and stopped by PID here, never the shared one).
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Decision, RateLimiter, RedisStore } from '../src/index.js';
import { clusterSlot } from '../src/stores/redis/clusterSlot.js';
import { clusterNodeArgs, type RedisServer, startRedisCluster, startRedisServer } from './setup/redisServers.js';
import { redisClusterNodes, uniquePrefix } from './setup/redisTarget.js';

const available = redisClusterNodes() !== undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CALLERS = 300;
const KEYS = 3_000;
// Longer than the default 100 ms: this test measures which keys a fault reaches, not a busy machine's pauses.
const TIMEOUT_MS = 500;
// Healthy masters keep serving their slots after the node timeout (5 s) too, not only during it.
const NODE_ARGS = ['--cluster-require-full-coverage', 'no'];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

interface Sample {
  at: number;
  took: number;
  healthy: boolean;
  decision: Decision;
}

describe.skipIf(!available)('RedisStore on a Redis Cluster with a failed master', () => {
  let servers: RedisServer[] = [];
  let client: Cluster;

  beforeAll(async () => {
    servers = await startRedisCluster({ args: NODE_ARGS });
  });
  afterAll(async () => {
    for (const server of servers) if (server.process.pid !== undefined) resume(server);
    await Promise.all(servers.map((server) => server.stop(true)));
  });
  afterEach(() => {
    client?.disconnect();
    expect(unhandled).toEqual([]);
  });

  function resume(server: RedisServer): void {
    try {
      if (server.process.exitCode === null && server.process.signalCode === null) process.kill(server.process.pid as number, 'SIGCONT');
    } catch {
      // already gone
    }
  }

  async function connect(): Promise<Cluster> {
    const cluster = new Cluster(
      servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    cluster.on('error', () => undefined); // connection errors are expected here; ioredis would log each one
    await new Promise<void>((resolve, reject) => {
      cluster.once('ready', () => resolve());
      cluster.once('error', reject);
    });
    return cluster;
  }

  /** The port of the master serving each slot. */
  async function slotOwners(cluster: Cluster): Promise<number[]> {
    const owners = new Array<number>(16_384).fill(0);
    const ranges = await cluster.cluster('SLOTS');
    for (const [from, to, master] of ranges) owners.fill(master?.[1] ?? 0, from, to + 1);
    return owners;
  }

  /**
   * Starts `callers` callers on 3,000 keys; each decision is recorded with whether its key lives on a master
   * other than `victim`. `stop()` ends the load.
   */
  async function startLoad(victim: RedisServer, callers = CALLERS) {
    client = await connect();
    const prefix = uniquePrefix('node-fault');
    const owners = await slotOwners(client);
    const limiter = new RateLimiter({
      capacity: 1e6,
      refillRate: 1000,
      interval: '1s',
      prefix,
      store: new RedisStore({ client }),
      timeoutMs: TIMEOUT_MS,
    });
    const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
    const healthyKey = keys.map((key) => owners[clusterSlot(RedisStore.keyOf(limiter, key))] !== victim.port);
    expect(healthyKey.filter(Boolean).length).toBeGreaterThan(KEYS / 2);
    expect(healthyKey.filter((h) => !h).length).toBeGreaterThan(KEYS / 6);
    const samples: Sample[] = [];
    let running = true;
    const pending = new Set<Promise<void>>();
    // Open loop: a caller calls every 20–40 ms whether or not its last call was answered, as requests arrive.
    const caller = async () => {
      while (running) {
        const index = Math.floor(Math.random() * KEYS);
        const at = performance.now();
        const call = limiter.consume(keys[index] as string).then((decision) => {
          samples.push({ at, took: performance.now() - at, healthy: healthyKey[index] as boolean, decision });
          pending.delete(call);
        });
        pending.add(call);
        await sleep(20 + Math.random() * 20);
      }
    };
    await limiter.peek('warm-up');
    const callersRunning = Array.from({ length: callers }, caller);
    await sleep(1000);
    return {
      samples,
      stop: async () => {
        running = false;
        await Promise.all(callersRunning);
        await Promise.all(pending);
      },
    };
  }

  const share = (samples: Sample[]) => samples.filter((s) => s.decision.degraded).length / Math.max(1, samples.length);

  /** Waits until the last 300 decisions on the victim's keys, all made after `since`, were decided by Redis. */
  async function recovery(samples: Sample[], since: number, withinMs: number): Promise<number | undefined> {
    const deadline = performance.now() + withinMs;
    while (performance.now() < deadline) {
      const last = samples.filter((s) => !s.healthy).slice(-300);
      if (last.length === 300 && last.every((s) => s.at > since && !s.decision.degraded)) return (last[0] as Sample).at - since;
      await sleep(100);
    }
    return undefined;
  }

  function report(name: string, samples: Sample[], from: number, to: number) {
    const during = samples.filter((s) => s.at > from && s.at < to);
    const healthy = during.filter((s) => s.healthy);
    const victim = during.filter((s) => !s.healthy);
    const p = (list: Sample[], q: number) =>
      Math.round(list.map((s) => s.took).sort((a, b) => a - b)[Math.floor(q * (list.length - 1))] ?? 0);
    const result = {
      healthy: healthy.length,
      healthyDegraded: share(healthy),
      healthyP50: p(healthy, 0.5),
      healthyP99: p(healthy, 0.99),
      victim: victim.length,
      victimDegraded: share(victim),
      victimP50: p(victim, 0.5),
    };
    return { ...result, text: `${name}: ${JSON.stringify(result)}` };
  }

  /** The first of `user:0`, `user:1`, … whose slot `owner` (the port of its master) accepts. */
  function keyOn(limiter: RateLimiter, owners: number[], accept: (owner: number, slot: number) => boolean): string {
    for (let i = 0; ; i++) {
      const slot = clusterSlot(RedisStore.keyOf(limiter, `user:${i}`));
      if (accept(owners[slot] as number, slot)) return `user:${i}`;
    }
  }

  it('stops sending to a master that does not answer, naming it in the error, and carries on once it does', async () => {
    client = await connect();
    const owners = await slotOwners(client);
    const victim = servers[0] as RedisServer;
    // maxBatchesInFlight above the limit under test: one batch per tick.
    const store = new RedisStore({ client, maxBatchesInFlight: 4096 });
    const limiter = new RateLimiter({ capacity: 1e6, refillRate: 1, interval: '1h', prefix: uniquePrefix('hung-node'), store });
    const key = keyOn(limiter, owners, (owner) => owner === victim.port);
    await limiter.peek(key);
    process.kill(victim.process.pid as number, 'SIGSTOP');
    const pending: Promise<unknown>[] = [];
    let refusal: unknown;
    try {
      for (let i = 0; i < 1025; i++) {
        pending.push(
          store.update(limiter.policy, key, 1, 0, Date.now()).then(
            (r) => r,
            (error: unknown) => error,
          ),
        );
        await new Promise((resolve) => setImmediate(resolve));
      }
      refusal = await Promise.race([pending[1024], sleep(500).then(() => 'still waiting')]);
    } finally {
      resume(victim);
    }
    expect(String(refusal)).toBe(
      `SluiceStoreError: sluice: Redis node 127.0.0.1:${victim.port} has not answered 1024 script calls; not sending more until it does`,
    );
    const answered = await Promise.all(pending.slice(0, 1024));
    expect(answered.every((r) => (r as { allowed?: boolean }).allowed === true)).toBe(true);
    expect((await limiter.consume(key)).degraded).toBe(false);
  }, 30_000);

  it("counts a master's batches in flight together over all its slots (maxBatchesInFlight is per server)", async () => {
    client = await connect();
    const owners = await slotOwners(client);
    const node = servers[0] as RedisServer;
    const admin = new Redis({ host: '127.0.0.1', port: node.port });
    try {
      const limiter = new RateLimiter({
        capacity: 30,
        refillRate: 1,
        interval: '1h',
        prefix: uniquePrefix('lanes'),
        store: new RedisStore({ client }),
        timeoutMs: 5000,
      });
      const first = keyOn(limiter, owners, (owner) => owner === node.port);
      const firstSlot = clusterSlot(RedisStore.keyOf(limiter, first));
      const second = keyOn(limiter, owners, (owner, slot) => owner === node.port && slot !== firstSlot);
      await limiter.peek(first);
      await limiter.peek(second);
      await admin.config('RESETSTAT');
      // Script calls wait while the master is paused: the first call's batch stays in flight.
      await admin.client('PAUSE', '500', 'WRITE');
      const calls = [limiter.consume(first)];
      // Two calls on another slot of the same master, each in a tick of its own: they wait for the first batch
      // (maxBatchesInFlight 1, the default) and then go together.
      for (let i = 0; i < 2; i++) {
        await new Promise((resolve) => setImmediate(resolve));
        calls.push(limiter.consume(second));
      }
      const decisions = await Promise.all(calls);
      expect(decisions.every((d) => d.allowed && !d.degraded)).toBe(true);
      const info = await admin.info('commandstats');
      let scriptCalls = 0;
      for (const match of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) scriptCalls += Number(match[2]);
      expect(scriptCalls).toBe(2);
    } finally {
      admin.disconnect();
    }
  });

  it('a stalled master (SIGSTOP) degrades only the keys on its slots; after SIGCONT they recover', async () => {
    const victim = servers[0] as RedisServer;
    const load = await startLoad(victim);
    const before = report('before', load.samples, performance.now() - 500, performance.now());
    process.kill(victim.process.pid as number, 'SIGSTOP');
    const stoppedAt = performance.now();
    await sleep(3000);
    const resumedAt = performance.now();
    resume(victim);
    const recoveredAfter = await recovery(load.samples, resumedAt, 10_000);
    await load.stop();
    expect(before.healthyDegraded + before.victimDegraded, before.text).toBeLessThanOrEqual(0.01);
    // From a timeoutMs after the stop (a call made just before it may rightly wait that long) to the SIGCONT.
    const during = report('stalled', load.samples, stoppedAt + TIMEOUT_MS, resumedAt);
    expect(during.healthy, during.text).toBeGreaterThan(5_000);
    expect(during.healthyDegraded, during.text).toBeLessThanOrEqual(0.01);
    expect(during.victimDegraded, during.text).toBeGreaterThan(0.9); // the fault was real
    expect(recoveredAfter).toBeDefined();
  }, 60_000);

  it('a killed master (SIGKILL) degrades only the keys on its slots; restarted, they recover', async () => {
    const victim = servers[1] as RedisServer;
    const load = await startLoad(victim);
    const { dir, port } = victim;
    process.kill(victim.process.pid as number, 'SIGKILL');
    await new Promise((resolve) =>
      victim.process.exitCode === null && victim.process.signalCode === null ? victim.process.once('exit', resolve) : resolve(undefined),
    );
    const killedAt = performance.now();
    await sleep(3000);
    const restartedAt = performance.now();
    // Same port and directory: the node comes back with its cluster config (its slots), without its data.
    servers[1] = await startRedisServer({ port, dir, args: clusterNodeArgs(port, NODE_ARGS) });
    const recoveredAfter = await recovery(load.samples, restartedAt, 15_000);
    await load.stop();
    const during = report('killed', load.samples, killedAt + TIMEOUT_MS, restartedAt);
    expect(during.healthy, during.text).toBeGreaterThan(5_000);
    expect(during.healthyDegraded, during.text).toBeLessThanOrEqual(0.01);
    expect(during.victimDegraded, during.text).toBeGreaterThan(0.9);
    expect(recoveredAfter).toBeDefined();
  }, 60_000);

  it('at light load (3 callers) too, healthy keys do not wait behind a stalled master', async () => {
    const victim = servers[2] as RedisServer;
    const load = await startLoad(victim, 3);
    process.kill(victim.process.pid as number, 'SIGSTOP');
    const stoppedAt = performance.now();
    await sleep(2000);
    const resumedAt = performance.now();
    resume(victim);
    await sleep(500);
    await load.stop();
    const during = report('stalled, light load', load.samples, stoppedAt + TIMEOUT_MS, resumedAt);
    expect(during.healthy, during.text).toBeGreaterThan(40);
    expect(during.healthyDegraded, during.text).toBeLessThanOrEqual(0.01);
    // Not held until a full batch of calls waits (which takes many ms at this rate) or the timeout answers.
    expect(during.healthyP50, during.text).toBeLessThanOrEqual(30);
  }, 60_000);
});
