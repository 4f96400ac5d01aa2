/**
 * The decide script (lua/decideBatch.ts) against the JavaScript GCRA (`applyCall` in core/gcra.ts): random
 * batches, encoded by the store's own wire format, both argument layouts (the keys-only one for a batch of
 * plain calls at Redis' clock, and the per-call one), several limiters in one batch, refunds, reservations,
 * peeks, charges (into debt), per-band costs and limiters that block. Every call's allowed and per-band aheads must equal what applyCall computes on its own state.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCall, type Band, compileBand } from '../src/core/gcra.js';
import { DECIDE_BATCH_SCRIPT } from '../src/stores/redis/lua/decideBatch.js';
import { baseKey } from '../src/stores/redis/redisKeys.js';
import { callResult, replyNow, type ScriptReply } from '../src/stores/redis/replyDecoder.js';
import { type EncodableCall, encodeBatch, type PolicyArgs, policyArgs } from '../src/stores/redis/scriptArgs.js';
import { propertyRuns } from './setup/propertyRuns.js';
import { redisClient, redisOptions } from './setup/redisTarget.js';

const single = redisOptions();

const bandArb = fc
  .record({
    capacity: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100_000 })),
    refillRate: fc.oneof(
      fc.integer({ min: 1, max: 100 }),
      fc.constantFrom(5101, 999_983),
      fc.tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 3 })).map(([n, k]) => n / 10 ** k),
    ),
    intervalMs: fc.constantFrom(1, 7, 999, 1000, 60_000, 3_600_000),
  })
  .map(({ capacity, refillRate, intervalMs }) => compileBand(capacity, refillRate, intervalMs));

const callArb = fc.record({
  policy: fc.integer({ min: 0, max: 2 }),
  key: fc.constantFrom('a', 'b', 'c', 'd'),
  // Mostly takes; some peeks (0), refunds (< 0), costs past the capacity, and per-band costs (one per band).
  cost: fc.oneof(
    { weight: 4, arbitrary: fc.constant(1) },
    fc.integer({ min: -3, max: 12 }),
    fc.array(fc.integer({ min: -3, max: 12 }), { minLength: 3, maxLength: 3 }),
  ),
  // Infinity: a charge.
  slackMs: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 1, max: 2000 }), fc.constant(Number.POSITIVE_INFINITY)),
});

const batchArb = fc.record({
  // A plain batch: one limiter, every call of cost 1 without slack (the keys-only layout at Redis' clock).
  plain: fc.boolean(),
  advanceMs: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 100_000 })),
  calls: fc.array(callArb, { minLength: 1, maxLength: 20 }),
});

interface KeyState {
  readonly tats: number[];
  readonly shorts: number[];
}

describe.skipIf(single === undefined)('the decide script against applyCall', () => {
  for (const serverTime of [true, false]) {
    it(`decides every call of random batches as applyCall does (${serverTime ? "Redis' clock" : "the caller's clock"})`, async () => {
      const client = redisClient();
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(bandArb, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
          fc.array(fc.constantFrom(0, 0, 1, 1500, 60_000), { minLength: 3, maxLength: 3 }),
          fc.array(batchArb, { minLength: 1, maxLength: 8 }),
          async (bandSets, blocks, batches) => {
            const run = randomUUID().slice(0, 8);
            const policies = bandSets.map((bands, i) => ({
              bands: bands as readonly Band[],
              blockMs: blocks[i] as number,
              args: policyArgs({ prefix: '', namespace: `dbs:${run}:${i}|`, bands, blockMs: blocks[i] as number }),
            }));
            const states = new Map<string, KeyState>();
            // Redis expires keys in its own time: at the caller's clock, a key may vanish before the model's bucket is
            // full only when that clock moved less than Redis' between two batches (a machine too loaded to keep up).
            let sentAt = Date.now();
            let now = sentAt;
            let clocksAgree = true;
            for (const batch of batches) {
              const previousSentAt = sentAt;
              sentAt = Date.now();
              const advance = Math.max(batch.advanceMs, sentAt - previousSentAt + 2);
              now += advance;
              const calls: (EncodableCall & { bands: readonly Band[]; blockMs: number })[] = batch.calls.map((call) => {
                const { bands, args, blockMs } = policies[batch.plain ? 0 : call.policy] as {
                  bands: readonly Band[];
                  args: PolicyArgs;
                  blockMs: number;
                };
                return {
                  bands,
                  args,
                  blockMs,
                  base: baseKey(args.namespace, args.bandCount, call.key),
                  cost: batch.plain ? 1 : typeof call.cost === 'number' ? call.cost : call.cost.slice(0, bands.length),
                  slackMs: batch.plain ? 0 : call.slackMs,
                  now,
                };
              });
              const { keys, argv } = encodeBatch(calls, serverTime);
              if (batch.plain && serverTime) expect(argv[1]).toBe('S');
              const reply = (await client.eval(DECIDE_BATCH_SCRIPT, keys.length, ...keys, ...argv)) as ScriptReply;
              if (!serverTime && Date.now() - previousSentAt > advance) clocksAgree = false;
              const decidedAt = serverTime ? replyNow(reply) : now;
              let at = 0;
              for (const call of calls) {
                const count = call.bands.length;
                const result = callResult(reply, at, count, decidedAt);
                at += 1 + count;
                let state = states.get(call.base);
                if (state === undefined) {
                  state = { tats: new Array<number>(count).fill(0), shorts: new Array<number>(count).fill(0) };
                  states.set(call.base, state);
                }
                const aheads = new Array<number>(count);
                const allowed = applyCall(
                  call.bands,
                  state.tats,
                  state.shorts,
                  0,
                  decidedAt,
                  call.cost,
                  call.slackMs,
                  aheads,
                  call.blockMs,
                );
                const decided = { allowed: result.allowed, aheads: Array.from(result.aheads) };
                // A run whose clocks drifted apart proves nothing either way: fast-check draws another.
                fc.pre(clocksAgree || JSON.stringify(decided) === JSON.stringify({ allowed, aheads }));
                expect(decided).toEqual({ allowed, aheads });
              }
              expect(at).toBe(reply.length - 1);
            }
          },
        ),
        { numRuns: propertyRuns(40) },
      );
    });
  }
});
