/**
 * `sluice/express`: the rate limiter as Express (4 and 5) middleware. Glue only: the work is in
 * src/http. Errors (a bad key, a callback that throws or rejects, a store failure under
 * `onStoreError: 'throw'`) go to `next(err)`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Decision } from '../src/core/decision.js';
import { decisionOf, weakMapMarks } from '../src/http/countedRequests.js';
import type { HttpFramework } from '../src/http/httpFramework.js';
import type { HttpLimitOptions } from '../src/http/httpLimitOptions.js';
import { createHttpLimiter } from '../src/http/planDispatch.js';

export type { Decision } from '../src/core/decision.js';
export type { DelayOptions } from '../src/http/delay.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';
export type { PlanChoice } from '../src/http/plans.js';

declare global {
  namespace Express {
    interface Request {
      /**
       * sluice: the decision of the limiter that counted this request (the last one, with several), or
       * undefined when none did (skipped, allow-listed). Read-only view of `rateLimitOf(req)`.
       */
      rateLimit?: Decision;
    }
  }
}

/** Options of `rateLimit()`: a `limiter` or the limit options inline, plus the HTTP options. */
export type ExpressRateLimitOptions = HttpLimitOptions<Request, Response>;

/**
 * `req.ip` when Express would take it from the socket, minus its cost: the getter runs proxy-addr over
 * X-Forwarded-For on every access (microseconds, more than the whole limiter), and without that header its
 * answer is the socket's address whatever `trust proxy` says. So read that directly, unless the app
 * overrides `req.ip` itself.
 */
function directIp(req: Request): string | undefined {
  if (req.headers['x-forwarded-for'] === undefined && !Object.hasOwn(req, 'ip') && !Object.hasOwn(Object.getPrototypeOf(req), 'ip')) {
    return req.socket?.remoteAddress;
  }
  return undefined;
}

/*
 * Why so few property reads on `req` and `res`: Express swaps their prototype (`Object.setPrototypeOf`)
 * and then adds properties (`res.locals`, `req.params`, ...), and V8 gives an object that gains a property
 * after a prototype swap a hidden class of its own. So every request's `req` and `res` have a class no
 * inline cache has seen, and each property read on them is a full lookup, a runtime call. The double-count
 * marks therefore live in the core's WeakMap (no read on `req` at all), not on the request nor its socket.
 */

// Methods rather than arrow functions in the fields: a mutation tool decides a field's arrow function once, when the
// module loads, and could not test these.
const express: HttpFramework<Request, Response> = {
  ip(req) {
    return req.ip;
  },
  directIp,
  socketAddress(req) {
    return req.socket?.remoteAddress;
  },
  forwardedFor(req) {
    return req.headers['x-forwarded-for'];
  },
  trustsEveryProxy(req) {
    return req.app?.get('trust proxy') === true;
  },
  // Ending a response sends its head first, so `headersSent` alone covers `writableEnded` too: one property
  // read fewer on an object whose reads are dear (see above).
  responded: (res) => res.headersSent,
  setHeader: (res, name, value) => {
    res.setHeader(name, value);
  },
  send: (res, statusCode, body) => {
    res.status(statusCode).send(body);
  },
  nodeResponse: (res) => res,
};

/**
 * The decision of the sluice limiter that counted `req` (the last one, when several did), or undefined when
 * none did (skipped, allow-listed, or no sluice middleware on its path). Also readable as `req.rateLimit`.
 */
export function rateLimitOf(req: Request): Decision | undefined {
  return decisionOf(weakMapMarks, req);
}

/** The request prototype that has the `rateLimit` getter, as last seen (one per app). */
let exposedOn: object | null = null;

/**
 * Gives a request prototype (Express' `app.request`) a `rateLimit` getter reading the request's marks: no
 * property is added to each request (adding one to an Express request is dear), and assigning one still works.
 */
function exposeRateLimit(prototype: object | null): object | null {
  if (prototype !== null && !('rateLimit' in prototype)) {
    Object.defineProperty(prototype, 'rateLimit', {
      configurable: true,
      get(this: Request) {
        return decisionOf(weakMapMarks, this);
      },
      set(this: Request, value: unknown) {
        Object.defineProperty(this, 'rateLimit', { value, writable: true, configurable: true, enumerable: true });
      },
    });
  }
  return prototype;
}

/** Express middleware that limits requests; its options are documented in docs/http.md. */
export function rateLimit(options: ExpressRateLimitOptions): RequestHandler {
  const core = createHttpLimiter<Request, Response>(options, express);
  return function sluiceRateLimit(req: Request, res: Response, next: NextFunction): void {
    const prototype = Object.getPrototypeOf(req) as object | null;
    if (prototype !== exposedOn) exposedOn = exposeRateLimit(prototype);
    core.handle(req, res, next);
  };
}
