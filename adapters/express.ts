/**
 * `sluice/express`: the rate limiter as Express (4 and 5) middleware. Glue only: the work is in
 * src/http. Errors (a bad key, a store failure under `onStoreError: 'throw'`) go to `next(err)`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Decision } from '../src/decision.js';
import { connectionMarks } from '../src/http/countedRequests.js';
import type { HttpFramework } from '../src/http/httpLimiter.js';
import { HttpLimiter } from '../src/http/httpLimiter.js';
import type { HttpLimitOptions } from '../src/http/httpLimitOptions.js';

export type { Decision } from '../src/decision.js';
export type { HeadersMode } from '../src/http/headers.js';
export type { HttpOptions, LimiterChoice } from '../src/http/httpLimitOptions.js';

/** Options of `rateLimit()`: a `limiter` or the limit options inline, plus the HTTP options. */
export type ExpressRateLimitOptions = HttpLimitOptions<Request, Response>;

/**
 * `req.ip` as Express resolves it, minus its cost: the getter runs proxy-addr over X-Forwarded-For on every
 * access (microseconds, more than the whole limiter), and without that header its answer is the socket's
 * address whatever `trust proxy` says. So read that directly, unless the app overrides `req.ip` itself.
 */
function clientIp(req: Request): string | undefined {
  if (req.headers['x-forwarded-for'] === undefined && !Object.hasOwn(req, 'ip') && !Object.hasOwn(Object.getPrototypeOf(req), 'ip')) {
    return req.socket?.remoteAddress;
  }
  return req.ip;
}

const express: HttpFramework<Request, Response> = {
  ip: clientIp,
  socketAddress: (req) => req.socket?.remoteAddress,
  forwardedFor: (req) => req.headers['x-forwarded-for'],
  trustsEveryProxy: (req) => req.app?.get('trust proxy') === true,
  setHeader: (res, name, value) => {
    res.setHeader(name, value);
  },
  send: (res, statusCode, body) => {
    res.status(statusCode).send(body);
  },
  marks: connectionMarks<Request>(
    (req) => req.socket,
    (req) => req.res?.writableFinished === true,
  ),
};

/** Express middleware that limits requests; see the README's HTTP options. */
export function rateLimit(options: ExpressRateLimitOptions): RequestHandler {
  const core = new HttpLimiter<Request, Response>(options, express);
  const finish = (req: Request, res: Response, next: NextFunction, decision: Decision): void => {
    let proceed: boolean;
    try {
      proceed = core.respond(req, res, decision);
    } catch (error) {
      next(error);
      return;
    }
    if (proceed) next();
  };
  return function sluiceRateLimit(req: Request, res: Response, next: NextFunction): void {
    let decision: Decision | Promise<Decision> | undefined;
    try {
      decision = core.decide(req);
    } catch (error) {
      next(error);
      return;
    }
    if (decision === undefined) next();
    else if (core.synchronous) finish(req, res, next, decision as Decision);
    else (decision as Promise<Decision>).then((settled) => finish(req, res, next, settled), next);
  };
}
