/**
 * The wire format of a batch (src/stores/redis/scriptArgs.ts), argument by argument: the script reads these
 * positions, so each form is pinned here as the format's comment gives it, not only through the script's answers.
 */
import { describe, expect, it } from 'vitest';
import { compileBand } from '../src/core/gcra.js';
import { type EncodableCall, encodeBatch, policyArgs } from '../src/stores/redis/scriptArgs.js';

const one = policyArgs({ prefix: 'a:', namespace: 'a:X|', bands: [compileBand(5, 5, 1000)], blockMs: 0 });
const two = policyArgs({ prefix: 'b:', namespace: 'b:Y|', bands: [compileBand(3, 1, 1000), compileBand(10, 10, 60_000)], blockMs: 250 });
const ONE_POLICY = ['1', '0', ...one.argv.slice(2)];
const TWO_POLICY = ['2', '250', ...two.argv.slice(2)];

function call(args = one, options: Partial<Omit<EncodableCall, 'args'>> = {}): EncodableCall {
  return { args, base: options.base ?? 'k', cost: options.cost ?? 1, slackMs: options.slackMs ?? 0, now: options.now ?? 1_700 };
}

describe('encodeBatch', () => {
  it('a policy: band count, block in ms, then per band scale, emission, tolerance', () => {
    expect(one.argv).toEqual(ONE_POLICY);
    expect(two.argv.slice(0, 2)).toEqual(['2', '250']);
    expect(two.argv).toHaveLength(2 + 2 * 3);
  });

  it("one limiter, every call of cost 1 at Redis' clock: 'S' and no per-call arguments", () => {
    const { keys, argv } = encodeBatch([call(one, { base: 'k1' }), call(one, { base: 'k2' })], true);
    expect(keys).toEqual(['k1', 'k2']);
    expect(argv).toEqual(['1', 'S', ...ONE_POLICY]);
  });

  it("two limiters, every call of cost 1 at Redis' clock: one index per call, the policies after them", () => {
    const { keys, argv } = encodeBatch([call(one, { base: 'a' }), call(two, { base: 'b' }), call(one, { base: 'c' })], true);
    expect(keys).toEqual(['a', 'b', 'b:1', 'c']);
    expect(argv).toEqual(['1', '6', '1', '2', '1', ...ONE_POLICY, ...TWO_POLICY]);
  });

  it("calls at each caller's clock: four arguments each, -index, cost, slack, now", () => {
    const { argv } = encodeBatch([call(one, { now: 1_234 }), call(two, { cost: [1, 350], slackMs: 40, now: 1_235 })], false);
    expect(argv).toEqual(['0', '11', '-1', '1', '0', '1234', '-2', '1:350', '40', '1235', ...ONE_POLICY, ...TWO_POLICY]);
  });

  it("at Redis' clock, a call that is not the common one has four arguments, its `now` 0; a charge's slack is -1", () => {
    const { argv } = encodeBatch(
      [call(one), call(one, { cost: 2 }), call(one, { slackMs: Number.POSITIVE_INFINITY }), call(one, { cost: -3 })],
      true,
    );
    expect(argv).toEqual(['1', '16', '1', '-1', '2', '0', '0', '-1', '1', '-1', '0', '-1', '-3', '0', '0', ...ONE_POLICY]);
  });
});
