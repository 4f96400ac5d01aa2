/**
 * Reading the decide script's reply: per call, allowed (1|0) then per band how far its TAT is ahead of now
 * in band units (integer replies), and last the `now` of the batch (Redis' clock, whole ms).
 */
import { describeValue } from '../../core/describeValue.js';
import { SluiceStoreError } from '../../core/errors.js';
import type { StoreResult } from '../../core/store.js';

/** The script's reply as the client hands it over: integers (numbers, or strings from some clients). */
export type ScriptReply = readonly (string | number)[];

/**
 * `reply` as a ScriptReply when it is one: an array of `length` integers (numbers, or strings of digits).
 * The script always answers so; anything else comes from a wrapper or reply transformer between sluice and
 * Redis, and decoding it would read refusals (or NaN) out of whatever it holds.
 * @throws SluiceStoreError naming the reply and the expected length, when it is not one.
 */
export function checkedReply(reply: unknown, length: number): ScriptReply {
  if (Array.isArray(reply) && reply.length === length && reply.every(isInteger)) return reply as ScriptReply;
  throw new SluiceStoreError(
    `sluice: the Redis client answered the decide script with ${describeValue(reply)}, not an array of ${length} ` +
      'integers; a wrapper or reply transformer around the client changes script replies',
  );
}

function isInteger(entry: unknown): boolean {
  return typeof entry === 'number' ? Number.isSafeInteger(entry) : typeof entry === 'string' && /^-?\d+$/.test(entry);
}

/** The batch's `now` (whole ms at Redis' clock; 0 when each call brought its own). */
export function replyNow(reply: ScriptReply): number {
  return Number(reply[reply.length - 1]);
}

/** The result of the call whose answer starts at `reply[at]`, for `bandCount` bands, decided at `now`. */
export function callResult(reply: ScriptReply, at: number, bandCount: number, now: number): StoreResult {
  // Stryker disable next-line ArrayDeclaration: equivalent, the loop sets every index from 0 to bandCount - 1 in order (bandCount is a policy's count of bands, a whole number)
  const aheads = new Array<number>(bandCount);
  for (let b = 0; b < bandCount; b++) aheads[b] = Number(reply[at + 1 + b]);
  return { allowed: Number(reply[at]) === 1, now, aheads };
}
