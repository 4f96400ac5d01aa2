/**
 * The wire format of a batch: what RedisStore sends with one EVALSHA of the decide script (see
 * lua/decideBatch.ts for how the script reads it).
 *
 * ARGV[1]  '1': every call is decided at Redis' own clock (TIME, ms); '0': each call brings its `now`.
 * ARGV[2]  the index in ARGV where the policies start; or 'S' when every call of the batch is the common
 *   one (policy 1, cost 1, no slack, Redis' clock): then no per-call arguments follow, KEYS says it all.
 * then per call, either one argument: the policy index p (1-based), for the common call of cost 1,
 *   no slack, at Redis' clock; or four: -p, cost, slackMs, now (whole ms). cost: whole tokens taken from
 *   every band (< 0: a refund), or one per band joined by ':' (`1:350`); slackMs -1 is a charge (Infinity).
 * then the policies: per policy, the band count n, the block in whole ms (0: none), then n × (scale,
 *   emission, tolerance)
 * KEYS     every call's band keys, call after call (n keys per call, in band order).
 */
import type { Band, BandCosts } from '../../core/gcra.js';
import type { Policy } from '../../core/store.js';
import { pushBandKeys } from './redisKeys.js';

/** What the store keeps per limiter: the band parameters as script arguments, computed once. */
export interface PolicyArgs {
  readonly bandCount: number;
  readonly argv: readonly string[];
  readonly namespace: string;
}

/** The part of a call that goes on the wire. */
export interface EncodableCall {
  readonly args: PolicyArgs;
  /** The Redis key of band 0; band i is `${base}:${i}`. */
  readonly base: string;
  readonly cost: BandCosts;
  readonly slackMs: number;
  readonly now: number;
}

/** The keys and arguments of one script call. */
export interface ScriptArgs {
  readonly keys: string[];
  readonly argv: string[];
}

/** `policy`'s bands as script arguments: the band count, the block (ms), then per band scale, emission, tolerance. */
export function policyArgs(policy: Policy): PolicyArgs {
  const argv: string[] = [String(policy.bands.length), String(policy.blockMs ?? 0)];
  for (const band of policy.bands as Band[]) argv.push(String(band.scale), String(band.emission), String(band.tolerance));
  return { bandCount: policy.bands.length, argv, namespace: policy.namespace };
}

/** Encodes `calls` (in order, all in one Cluster slot) as one script call; `serverTime`: decided at Redis' clock. */
export function encodeBatch(calls: readonly EncodableCall[], serverTime: boolean): ScriptArgs {
  const keys: string[] = [];
  const argv: string[] = [serverTime ? '1' : '0', ''];
  const policies: string[] = [];
  let onlyArgs: PolicyArgs | undefined;
  let policyIndex: Map<PolicyArgs, number> | undefined;
  let allSimple = serverTime;
  for (const call of calls) {
    let index: number;
    // Most batches come from one limiter: a Map only once a second policy shows up.
    if (onlyArgs === undefined) {
      onlyArgs = call.args;
      index = 1;
      for (const value of call.args.argv) policies.push(value);
    } else if (call.args === onlyArgs) {
      index = 1;
    } else {
      policyIndex ??= new Map([[onlyArgs, 1]]);
      let found = policyIndex.get(call.args);
      if (found === undefined) {
        found = policyIndex.size + 1;
        policyIndex.set(call.args, found);
        for (const value of call.args.argv) policies.push(value);
      }
      index = found;
    }
    pushBandKeys(keys, call.base, call.args.bandCount);
    if (serverTime && call.cost === 1 && call.slackMs === 0) argv.push(index === 1 ? '1' : String(index));
    else {
      allSimple = false;
      argv.push(String(-index), costArg(call.cost), slackArg(call.slackMs), serverTime ? '0' : String(call.now));
    }
  }
  if (allSimple && policyIndex === undefined) {
    // One limiter, every call of cost 1: the keys say it all, no per-call arguments.
    argv.length = 2;
    argv[1] = 'S';
  } else {
    argv[1] = String(argv.length + 1);
  }
  for (const value of policies) argv.push(value);
  return { keys, argv };
}

/** A call's cost on the wire: a whole number, or one per band joined by ':'. */
function costArg(cost: BandCosts): string {
  return typeof cost === 'number' ? String(cost) : Array.prototype.join.call(cost, ':');
}

/** A call's slack on the wire: whole ms, or -1 for a charge (Infinity). */
function slackArg(slackMs: number): string {
  return slackMs === Number.POSITIVE_INFINITY ? '-1' : String(slackMs);
}
