/**
 * Reading the decide script's reply: per call, allowed (1|0) then per band how far its TAT is ahead of now
 * in band units (integer replies), and last the `now` of the batch (Redis' clock, whole ms).
 */
import type { StoreResult } from '../../core/store.js';

/** The script's reply as the client hands it over: integers (numbers, or strings from some clients). */
export type ScriptReply = readonly (string | number)[];

/** The batch's `now` (whole ms at Redis' clock; 0 when each call brought its own). */
export function replyNow(reply: ScriptReply): number {
  return Number(reply[reply.length - 1]);
}

/** The result of the call whose answer starts at `reply[at]`, for `bandCount` bands, decided at `now`. */
export function callResult(reply: ScriptReply, at: number, bandCount: number, now: number): StoreResult {
  // Stryker disable next-line ArrayDeclaration: equivalent, the loop sets every index from 0 to bandCount - 1 in order (bandCount is a policy's count of bands, a whole number)
  const aheads = new Array<number>(bandCount);
  for (let b = 0; b < bandCount; b++) aheads[b] = Number(reply[at + 1 + b]);
  return { allowed: reply[at] === 1, now, aheads };
}
