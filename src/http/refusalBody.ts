/**
 * What a refusal's body (the HTTP `message` option, `blocked.message`, and what a `message` function returns)
 * may be, so that Express and Fastify send it alike: a string or a Buffer as it is, an object (an array too)
 * as JSON. Both frameworks serialise an object with JSON.stringify (Express' `res.json`, Fastify's `reply.send`
 * without a schema), so an object that cannot be serialised there (a cycle, a BigInt, a `toJSON` or a getter
 * that throws, a revoked Proxy) is refused here, with a sluice error, instead of failing in the framework
 * (a raw TypeError on one, an empty body on the other).
 */
import { Buffer } from 'node:buffer';
import { SluiceArgumentError } from '../core/errors.js';
import { reasonOf } from '../core/unreadableArgument.js';

/** What a refusal body must be, as said in the errors. */
export const BODY_EXPECTED = 'a string, a Buffer, or an object that can be sent as JSON';

/**
 * Why the object `body` cannot be sent as a refusal body (a bounded reason), or undefined when it can: a
 * Buffer as it is, else its JSON. Never throws.
 */
export function unsendableReason(body: object): string | undefined {
  try {
    if (Buffer.isBuffer(body)) return undefined;
    return JSON.stringify(body) === undefined ? 'it serialises to nothing' : undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/**
 * The body a `message` function returned, when both frameworks can send it: a string, a Buffer, an object that
 * serialises to JSON, or undefined / null (passed on as they are). Throws a SluiceArgumentError naming `message`
 * for anything else (a number, a boolean, a Symbol, a function, a BigInt, an object that cannot be serialised).
 */
export function usableBody(body: unknown): unknown {
  if (body === undefined || body === null || typeof body === 'string') return body;
  const expected = `must return ${BODY_EXPECTED} (or a promise of one)`;
  if (typeof body !== 'object') throw new SluiceArgumentError('message', body, expected);
  const reason = unsendableReason(body);
  if (reason !== undefined) throw new SluiceArgumentError('message', body, `${expected}, and this object cannot be serialised (${reason})`);
  return body;
}
