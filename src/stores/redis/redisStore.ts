import { brand, isInstance } from '../../core/brand.js';
import { SluiceConfigError, SluiceStoreError } from '../../core/errors.js';
import type { Band } from '../../core/gcra.js';
import { escapeKey, namespaceConflict, sameLimits } from '../../core/keyNamespace.js';
import { rejectUnknownOptions } from '../../core/optionSchema.js';
import type { CallbackStore, Policy, StoreCallback, StoreResult } from '../../core/store.js';
import type { RateLimiter } from '../../limiter/rateLimiter.js';
import { Batcher, BatchLane } from './batcher.js';
import { clusterSlot } from './clusterSlot.js';
import { DenyCache } from './denyCache.js';
import { adaptClient, connectionError, type RedisClientLike, type ScriptClient } from './redisClientAdapter.js';
import { DECIDE_BATCH_SCRIPT, DECIDE_BATCH_SHA } from './redisScripts.js';

export interface RedisStoreOptions {
  /**
   * The Redis client, which the store never closes: ioredis 5 or 6 (`new Redis(url)`, `new Redis.Cluster(nodes)`, or
   * a Sentinel connection), or node-redis 4 to 6 once connected (`await createClient({ url }).connect()`,
   * `await createCluster({ rootNodes }).connect()`, node-redis 5+ `createSentinel`). Anything else, or a node-redis
   * client not yet connected, throws a SluiceConfigError.
   */
  client: RedisClientLike;
  /**
   * Whose clock decides. `'redis'` (default): the script reads Redis' `TIME`, so app servers with skewed
   * clocks agree. `'client'`: the limiter's `clock` is sent along, for managed Redis services that
   * reject `TIME` in scripts; then the app servers' clocks must agree.
   */
  time?: 'redis' | 'client';
  /**
   * Once Redis denies a key, answer further calls for that key (same or larger cost) locally until the
   * tokens are due, without a round trip. `true` (default) keeps up to 10,000 keys and 4 MiB (as counted, on
   * the safe side of V8's use: 296 + 8 per band bytes per entry, plus its key at 2 bytes a character + 16 to 48;
   * a key longer than 64 characters is held as a 65-character digest); `{ maxKeys, maxBytes }` sets the bounds
   * (`maxBytes` at least 65,536); `false` turns it off. Another server's `reset` of the key is not seen until the entry expires.
   */
  denyCache?: boolean | { maxKeys?: number; maxBytes?: number };
  /**
   * Calls made in the same event-loop tick are decided by one script call (per Cluster slot); this caps
   * how many go into one. Default 16: small enough that several batches are in flight at once, so Node
   * builds the next batch while Redis runs the last (one batch of everything would leave each side
   * idle while the other works), and a burst never blocks Redis for long. 1 turns coalescing off.
   */
  maxBatchSize?: number;
  /**
   * Script calls that may be on their way to a Redis server before new calls for it wait for one to come back
   * (a full batch of `maxBatchSize` never waits). In a Cluster each master counts on its own, so a stalled
   * master holds up only the calls for its own slots. Default 1: under load, the calls that arrive while a batch is at Redis go
   * together in the next one, so each round trip (a socket write and read, the dearest part of a decision)
   * serves more calls; with nothing in flight a call goes at once, so a light load waits for nothing.
   */
  maxBatchesInFlight?: number;
}

const REDIS_STORE_OPTIONS = ['client', 'time', 'denyCache', 'maxBatchSize', 'maxBatchesInFlight'];
const DEFAULT_DENY_CACHE_KEYS = 10_000;
const DEFAULT_DENY_CACHE_BYTES = 4 * 1024 * 1024;
const MIN_DENY_CACHE_BYTES = 64 * 1024;
/**
 * Script calls that may await one Redis server's answer at once (each Cluster master has its own count). A
 * server that is connected but does not answer (a hung server, a network black hole) would otherwise collect
 * a batch per tick until the socket gives up, minutes later.
 */
const UNANSWERED_BATCH_LIMIT = 1024;

/** What the store keeps per limiter: the band parameters as script arguments, computed once. */
interface PolicyArgs {
  readonly bandCount: number;
  readonly argv: readonly string[];
  readonly namespace: string;
}

/**
 * The Redis key of a limiter's first band for `key`, under its `namespace` (see keyNamespace.ts: the escaped
 * prefix, the limits fingerprint and `|`). One band: `namespace` + key, no longer than it must be. Several
 * bands: `namespace{key}`, a hash tag, so that all of a key's bands live in one Cluster slot (band i is
 * `namespace{key}:i`). The user key is escaped either way, so a one-band name holds no brace at all (Redis
 * hashes the whole name) and cannot be mistaken for a several-band one.
 */
function baseKey(namespace: string, bandCount: number, key: string): string {
  return bandCount === 1 ? namespace + escapeKey(key) : `${namespace}{${escapeKey(key)}}`;
}

/** One call waiting for the next flush. */
interface PendingCall {
  readonly policy: Policy;
  readonly args: PolicyArgs;
  /** The Redis key of band 0; band i is `${base}:${i}`. */
  readonly base: string;
  readonly cost: number;
  readonly slackMs: number;
  readonly now: number;
  readonly slot: number;
  readonly callback: StoreCallback;
}

type ScriptReply = readonly (string | number)[];

/**
 * Bucket state in Redis (or Redis Cluster), shared by every process that uses the same keys.
 *
 * Keys: `namespace` + key for a one-band limiter; `namespace{key}` for the first band and `namespace{key}:i`
 * for band i of a several-band one, so all bands of a key live in one cluster slot (see baseKey). The
 * namespace holds the limits' fingerprint, so limiters with other limits never share a key, and the user
 * key is escaped, so any string is a safe key. Each holds the band's TAT in ms (exactly: see
 * DECIDE_BATCH_SCRIPT) with a PX until the band is full again.
 *
 * Calls that arrive in one event-loop tick are queued and decided by one EVALSHA of DECIDE_BATCH_SCRIPT
 * (one per hash slot in a Cluster): it runs atomically and in arrival order, so coalescing changes
 * no decision, only the number of round trips and of script invocations.
 */
export class RedisStore implements CallbackStore {
  static {
    brand(RedisStore, 'RedisStore');
  }

  /** True for a RedisStore of any copy of sluice loaded in the process (see RateLimiter). */
  static [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class `instanceof` asked about, maybe a user's subclass
    return isInstance(this, value);
  }

  readonly synchronous = false;
  readonly client: RedisClientLike;
  readonly time: 'redis' | 'client';
  readonly maxBatchSize: number;
  readonly maxBatchesInFlight: number;
  private readonly isCluster: boolean;
  /** The client as one interface, whichever library made it. */
  private readonly scripts: ScriptClient;
  private readonly denyCache: DenyCache | undefined;
  private readonly policies = new WeakMap<Policy, PolicyArgs>();
  /** The limits each namespace was claimed for, to refuse a fingerprint collision at construction. */
  private readonly claims = new Map<string, Policy>();
  private readonly batcher: Batcher<PendingCall>;
  /** The only lane of a single Redis. */
  private readonly soleLane = new BatchLane<PendingCall>('');
  /** A Cluster's lanes, one per master (by `host:port`), and the lane last used for each slot. */
  private readonly lanes = new Map<string, BatchLane<PendingCall>>();
  private readonly laneBySlot: (BatchLane<PendingCall> | undefined)[] = [];

  constructor(options: RedisStoreOptions) {
    if (options === null || typeof options !== 'object') {
      throw new SluiceConfigError('RedisStore options', options, 'must be an object such as { client: new Redis() }');
    }
    rejectUnknownOptions(options, REDIS_STORE_OPTIONS, '');
    const { client, time = 'redis', denyCache = true, maxBatchSize = 16, maxBatchesInFlight = 1 } = options;
    const scripts = adaptClient(client);
    if (time !== 'redis' && time !== 'client') throw new SluiceConfigError('time', time, "must be 'redis' or 'client'");
    if (!Number.isSafeInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new SluiceConfigError('maxBatchSize', maxBatchSize, 'must be a positive integer');
    }
    if (!Number.isSafeInteger(maxBatchesInFlight) || maxBatchesInFlight < 1) {
      throw new SluiceConfigError('maxBatchesInFlight', maxBatchesInFlight, 'must be a positive integer');
    }
    let cacheKeys = 0;
    let cacheBytes = DEFAULT_DENY_CACHE_BYTES;
    if (denyCache === true) cacheKeys = DEFAULT_DENY_CACHE_KEYS;
    else if (denyCache !== false) {
      if (denyCache === null || typeof denyCache !== 'object') {
        throw new SluiceConfigError('denyCache', denyCache, 'must be true, false or { maxKeys, maxBytes }');
      }
      rejectUnknownOptions(denyCache, ['maxKeys', 'maxBytes'], 'denyCache');
      cacheKeys = denyCache.maxKeys ?? DEFAULT_DENY_CACHE_KEYS;
      if (!Number.isSafeInteger(cacheKeys) || cacheKeys < 1) {
        throw new SluiceConfigError('denyCache.maxKeys', cacheKeys, 'must be a positive integer');
      }
      cacheBytes = denyCache.maxBytes ?? DEFAULT_DENY_CACHE_BYTES;
      if (!Number.isSafeInteger(cacheBytes) || cacheBytes < MIN_DENY_CACHE_BYTES) {
        throw new SluiceConfigError('denyCache.maxBytes', cacheBytes, `must be an integer number of bytes ≥ ${MIN_DENY_CACHE_BYTES}`);
      }
    }
    this.client = client;
    this.time = time;
    this.maxBatchSize = maxBatchSize;
    this.maxBatchesInFlight = maxBatchesInFlight;
    this.scripts = scripts;
    this.isCluster = scripts.isCluster;
    this.batcher = new Batcher<PendingCall>({ maxBatchSize, maxBatchesInFlight, flush: (lane, calls) => this.flush(lane, calls) });
    this.denyCache = cacheKeys > 0 ? new DenyCache(cacheKeys, cacheBytes) : undefined;
  }

  /**
   * The Redis key of band `band` (0-based) of `key` for `limiter` (a RateLimiter or its `policy`), for tools
   * and tests that look inside Redis: e.g. `sl:Ab3x|203.0.113.7` for a one-band limiter with the default prefix.
   */
  static keyOf(limiter: RateLimiter | Policy, key: string, band = 0): string {
    const policy = 'policy' in limiter ? limiter.policy : limiter;
    const base = baseKey(policy.namespace, policy.bands.length, key);
    return band === 0 ? base : `${base}:${band}`;
  }

  /**
   * @internal Reserves `policy.namespace` for `policy`'s limits in this store; throws a SluiceConfigError when
   * other limits hold it (their fingerprints collide), which would make them share keys.
   */
  claim(policy: Policy): void {
    const held = this.claims.get(policy.namespace);
    if (held === undefined) this.claims.set(policy.namespace, policy);
    else if (!sameLimits(held, policy)) throw namespaceConflict(held, policy);
  }

  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): Promise<StoreResult> {
    return new Promise<StoreResult>((resolve, reject) => {
      this.updateInto(policy, key, cost, slackMs, now, { settle: resolve, fail: reject });
    });
  }

  /** @internal `update` answering through `callback` (RateLimiter's path: no promise of the store's own). */
  updateInto(policy: Policy, key: string, cost: number, slackMs: number, now: number, callback: StoreCallback): void {
    now = Math.floor(now);
    const args = this.argsOf(policy);
    const base = baseKey(args.namespace, args.bandCount, key);
    const cache = this.denyCache;
    if (cache !== undefined && cache.size > 0) {
      if (cost > 0 && slackMs === 0) {
        const hit = cache.lookup(base, cost, this.time === 'client' ? now : undefined);
        if (hit !== undefined) {
          callback.settle(hit);
          return;
        }
      }
      // This call may change the bucket (take or give back tokens): a cached denial would answer with stale state.
      if (cost !== 0) cache.forget(base);
    }
    const slot = this.isCluster ? clusterSlot(base) : 0;
    const lane = this.isCluster ? this.laneFor(slot) : this.soleLane;
    this.batcher.add(lane, { policy, args, base, cost, slackMs, now, slot, callback });
  }

  /** The lane of the master that serves `slot`, as the client's slot table says now. */
  private laneFor(slot: number): BatchLane<PendingCall> {
    const node = this.scripts.slotMaster(slot);
    let lane = this.laneBySlot[slot];
    if (lane?.node === node) return lane;
    lane = this.lanes.get(node);
    if (lane === undefined) {
      lane = new BatchLane<PendingCall>(node);
      this.lanes.set(node, lane);
    }
    this.laneBySlot[slot] = lane;
    return lane;
  }

  async reset(policy: Policy, key: string): Promise<void> {
    const args = this.argsOf(policy);
    const base = baseKey(args.namespace, args.bandCount, key);
    this.denyCache?.forget(base);
    this.checkConnected();
    // All band keys share the hash tag (or there is one), so this DEL is fine in a Cluster too.
    await this.scripts.del(bandKeys(base, args.bandCount));
    this.denyCache?.forget(base); // a call decided while the DEL was on its way may have cached a denial
  }

  /** Forgets the deny cache. The client belongs to the caller and stays open. */
  close(): void {
    this.denyCache?.clear();
  }

  private argsOf(policy: Policy): PolicyArgs {
    let args = this.policies.get(policy);
    if (args === undefined) {
      const argv: string[] = [String(policy.bands.length)];
      for (const band of policy.bands as Band[]) argv.push(String(band.scale), String(band.emission), String(band.tolerance));
      args = { bandCount: policy.bands.length, argv, namespace: policy.namespace };
      this.policies.set(policy, args);
    }
    return args;
  }

  private checkConnected(): void {
    // Fail fast rather than wait in the client's offline queue: the limiter's timeout would answer first anyway,
    // and a queued call sent after reconnecting would take tokens for a call already answered by onStoreError.
    const error = connectionError(this.scripts);
    if (error !== undefined) throw error;
  }

  /** Sends the waiting calls of one lane (one Redis server): one script call per slot and maxBatchSize calls. */
  private flush(lane: BatchLane<PendingCall>, queue: PendingCall[]): void {
    try {
      this.checkConnected();
      if (lane.inFlight >= UNANSWERED_BATCH_LIMIT) {
        const server = lane.node === '' ? 'Redis' : `Redis node ${lane.node}`;
        throw new SluiceStoreError(
          `sluice: ${server} has not answered ${UNANSWERED_BATCH_LIMIT} script calls; not sending more until it does`,
        );
      }
    } catch (error) {
      for (const call of queue) call.callback.fail(error);
      return;
    }
    if (!this.isCluster) {
      this.sendInBatches(lane, queue);
      return;
    }
    const bySlot = new Map<number, PendingCall[]>();
    for (const call of queue) {
      const group = bySlot.get(call.slot);
      if (group === undefined) bySlot.set(call.slot, [call]);
      else group.push(call);
    }
    for (const group of bySlot.values()) this.sendInBatches(lane, group);
  }

  private sendInBatches(lane: BatchLane<PendingCall>, calls: PendingCall[]): void {
    const size = this.maxBatchSize;
    for (let i = 0; i < calls.length; i += size) {
      const batch = calls.length <= size ? calls : calls.slice(i, i + size);
      this.send(lane, batch);
    }
  }

  /** One EVALSHA for `calls` (all in one slot), falling back to EVAL when Redis lost the script. */
  private send(lane: BatchLane<PendingCall>, calls: readonly PendingCall[]): void {
    const serverTime = this.time === 'redis';
    const keys: string[] = [];
    const argv: string[] = [serverTime ? '1' : '0', ''];
    const policyArgs: string[] = [];
    let onlyArgs: PolicyArgs | undefined;
    let policyIndex: Map<PolicyArgs, number> | undefined;
    let allSimple = serverTime;
    for (const call of calls) {
      let index: number;
      // Most batches come from one limiter: a Map only once a second policy shows up.
      if (onlyArgs === undefined) {
        onlyArgs = call.args;
        index = 1;
        for (const value of call.args.argv) policyArgs.push(value);
      } else if (call.args === onlyArgs) {
        index = 1;
      } else {
        policyIndex ??= new Map([[onlyArgs, 1]]);
        let found = policyIndex.get(call.args);
        if (found === undefined) {
          found = policyIndex.size + 1;
          policyIndex.set(call.args, found);
          for (const value of call.args.argv) policyArgs.push(value);
        }
        index = found;
      }
      keys.push(call.base);
      for (let band = 1; band < call.args.bandCount; band++) keys.push(`${call.base}:${band}`);
      if (serverTime && call.cost === 1 && call.slackMs === 0) argv.push(index === 1 ? '1' : String(index));
      else {
        allSimple = false;
        argv.push(String(-index), String(call.cost), String(call.slackMs), serverTime ? '0' : String(call.now));
      }
    }
    if (allSimple && policyIndex === undefined) {
      // One limiter, every call of cost 1: the keys say it all, no per-call arguments.
      argv.length = 2;
      argv[1] = 'S';
    } else {
      argv[1] = String(argv.length + 1);
    }
    for (const value of policyArgs) argv.push(value);
    const client = this.scripts;
    this.batcher.sent(lane);
    const fail = (error: unknown) => {
      this.batcher.answered(lane);
      for (const call of calls) call.callback.fail(error);
    };
    const settle = (reply: unknown) => {
      this.batcher.answered(lane);
      try {
        this.settle(calls, reply as ScriptReply);
      } catch (error) {
        for (const call of calls) call.callback.fail(error); // calls already answered ignore this
      }
    };
    try {
      client.evalsha(DECIDE_BATCH_SHA, keys, argv).then(settle, (error: unknown) => {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          try {
            client.eval(DECIDE_BATCH_SCRIPT, keys, argv).then(settle, fail);
          } catch (thrown) {
            fail(thrown);
          }
        } else {
          fail(error);
        }
      });
    } catch (thrown) {
      fail(thrown);
    }
  }

  private settle(calls: readonly PendingCall[], reply: ScriptReply): void {
    const serverNow = Number(reply[reply.length - 1]);
    const serverTime = this.time === 'redis';
    const cache = this.denyCache;
    let at = 0;
    for (const call of calls) {
      const allowed = reply[at] === 1;
      const count = call.args.bandCount;
      const aheads = new Array<number>(count);
      for (let b = 0; b < count; b++) aheads[b] = Number(reply[at + 1 + b]);
      at += 1 + count;
      const result: StoreResult = { allowed, now: serverTime ? serverNow : call.now, aheads };
      if (cache !== undefined) {
        if (!allowed && call.cost > 0 && call.slackMs === 0) cache.remember(call.base, call.policy.bands, call.cost, result);
        else if (allowed && call.cost !== 0 && cache.size > 0) cache.forget(call.base); // it changed the bucket after a denial now cached
      }
      call.callback.settle(result);
    }
  }
}

function bandKeys(base: string, count: number): string[] {
  const keys = [base];
  for (let i = 1; i < count; i++) keys.push(`${base}:${i}`);
  return keys;
}
