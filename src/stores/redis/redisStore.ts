import { brand, isInstance } from '../../core/brand.js';
import { SluiceStoreError } from '../../core/errors.js';
import type { BandCosts } from '../../core/gcra.js';
import { namespaceConflict, sameLimits } from '../../core/keyNamespace.js';
import type { CallbackStore, Policy, StoreCallback, StoreResult } from '../../core/store.js';
import type { RateLimiter } from '../../limiter/rateLimiter.js';
import { Batcher, type BatchLane } from './batcher.js';
import { clusterSlot } from './clusterSlot.js';
import { DenyCache } from './denyCache.js';
import { DECIDE_BATCH } from './lua/decideBatch.js';
import { connectionError, type RedisClientLike, type ScriptClient } from './redisClientAdapter.js';
import { bandKey, bandKeys, baseKey } from './redisKeys.js';
import { type RedisStoreOptions, readRedisStoreOptions } from './redisStoreOptions.js';

export type { RedisStoreOptions };

import { callResult, checkedReply, replyNow } from './replyDecoder.js';
import { type EncodableCall, encodeBatch, type PolicyArgs, policyArgs } from './scriptArgs.js';
import { runScript } from './scriptCall.js';
import { ServerLanes } from './serverLanes.js';

/**
 * Script calls that may await one Redis server's answer at once (each Cluster master has its own count). A
 * server that is connected but does not answer (a hung server, a network black hole) would otherwise collect
 * a batch per tick until the socket gives up, minutes later.
 */
const UNANSWERED_BATCH_LIMIT = 1024;

/** One call waiting for the next flush. */
interface PendingCall extends EncodableCall {
  readonly policy: Policy;
  readonly slot: number;
  readonly callback: StoreCallback;
}

/**
 * Bucket state in Redis (or Redis Cluster), shared by every process that uses the same keys.
 *
 * Keys: `namespace` + key for a one-band limiter; `namespace{key}` for the first band and `namespace{key}:i`
 * for band i of a several-band one, so all bands of a key live in one cluster slot (see baseKey). The
 * namespace holds the limits' fingerprint, so limiters with other limits never share a key, and the user
 * key is escaped, so any string is a safe key. Each holds the band's TAT in ms (exactly: see
 * lua/decideBatch.ts) with a PX until the band is full again.
 *
 * Calls that arrive in one event-loop tick are queued and decided by one EVALSHA of the decide script
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
  private readonly lanes: ServerLanes<PendingCall>;

  /** Throws a SluiceConfigError naming the option and its value (every unknown option name at once). */
  constructor(options: RedisStoreOptions) {
    const { client: scripts, time, denyCache, maxBatchSize, maxBatchesInFlight } = readRedisStoreOptions(options);
    this.client = options.client;
    this.time = time;
    this.maxBatchSize = maxBatchSize;
    this.maxBatchesInFlight = maxBatchesInFlight;
    this.scripts = scripts;
    this.isCluster = scripts.isCluster;
    this.lanes = new ServerLanes<PendingCall>(scripts);
    this.batcher = new Batcher<PendingCall>({ maxBatchSize, maxBatchesInFlight, flush: (lane, calls) => this.flush(lane, calls) });
    this.denyCache = denyCache === undefined ? undefined : new DenyCache(denyCache.maxKeys, denyCache.maxBytes);
  }

  /**
   * The Redis key of band `band` (0-based) of `key` for `limiter` (a RateLimiter or its `policy`), for tools
   * and tests that look inside Redis: e.g. `sl:Ab3x|203.0.113.7` for a one-band limiter with the default prefix.
   */
  static keyOf(limiter: RateLimiter | Policy, key: string, band = 0): string {
    const policy = 'policy' in limiter ? limiter.policy : limiter;
    return bandKey(baseKey(policy.namespace, policy.bands.length, key), band);
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

  update(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number): Promise<StoreResult> {
    return new Promise<StoreResult>((resolve, reject) => {
      this.updateInto(policy, key, cost, slackMs, now, { settle: resolve, fail: reject });
    });
  }

  /** @internal `update` answering through `callback` (RateLimiter's path: no promise of the store's own). */
  updateInto(policy: Policy, key: string, cost: BandCosts, slackMs: number, now: number, callback: StoreCallback): void {
    now = Math.floor(now);
    const args = this.argsOf(policy);
    const base = baseKey(args.namespace, args.bandCount, key);
    const cache = this.denyCache;
    if (cache !== undefined && cache.size > 0) {
      if (cachesDenials(policy, cost, slackMs)) {
        const hit = cache.lookup(base, cost as number, this.time === 'client' ? now : undefined);
        if (hit !== undefined) {
          callback.settle(hit);
          return;
        }
      }
      // This call may change the bucket (take or give back tokens): a cached denial would answer with stale state.
      if (cost !== 0) cache.forget(base);
    }
    const slot = this.isCluster ? clusterSlot(base) : 0;
    this.batcher.add(this.lanes.laneFor(slot), { policy, args, base, cost, slackMs, now, slot, callback });
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
      args = policyArgs(policy);
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
    // Stryker disable next-line BlockStatement: equivalent, on one server every call's slot is 0, so grouping by slot gives the queue as one group in its order
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
    for (let i = 0; i < calls.length; i += size) this.send(lane, calls.slice(i, i + size));
  }

  /** One script call for `calls` (all in one slot). */
  private send(lane: BatchLane<PendingCall>, calls: readonly PendingCall[]): void {
    const { keys, argv } = encodeBatch(calls, this.time === 'redis');
    this.batcher.sent(lane);
    const fail = (error: unknown) => {
      this.batcher.answered(lane);
      for (const call of calls) call.callback.fail(error);
    };
    const settle = (reply: unknown) => {
      this.batcher.answered(lane);
      try {
        this.settle(calls, reply);
      } catch (error) {
        for (const call of calls) call.callback.fail(error); // calls already answered ignore this
      }
    };
    runScript(this.scripts, DECIDE_BATCH, keys, argv, settle, fail);
  }

  /** Answers `calls` from the script's `reply`; throws a SluiceStoreError (answering none) when it is not one. */
  private settle(calls: readonly PendingCall[], answer: unknown): void {
    let length = 1;
    for (const call of calls) length += 1 + call.args.bandCount;
    const reply = checkedReply(answer, length);
    const serverNow = replyNow(reply);
    const serverTime = this.time === 'redis';
    const cache = this.denyCache;
    let at = 0;
    for (const call of calls) {
      const count = call.args.bandCount;
      const result = callResult(reply, at, count, serverTime ? serverNow : call.now);
      at += 1 + count;
      if (cache !== undefined) {
        if (!result.allowed && cachesDenials(call.policy, call.cost, call.slackMs)) {
          cache.remember(call.base, call.policy.bands, call.cost as number, result);
        } else if (result.allowed && call.cost !== 0 && cache.size > 0) cache.forget(call.base); // it changed the bucket after a denial now cached
      }
      call.callback.settle(result);
    }
  }
}

/**
 * Whether a denial of this call may be answered from the deny cache: a plain consume (one cost for every
 * band, no slack). Not under `blockDuration`, where each refusal moves the block in Redis.
 */
function cachesDenials(policy: Policy, cost: BandCosts, slackMs: number): boolean {
  return typeof cost === 'number' && cost > 0 && slackMs === 0 && !(policy.blockMs !== undefined && policy.blockMs > 0);
}
