/**
 * The response side of the HTTP core: writes the rate-limit headers of a decision, reports it to
 * `onDecision`, and sends the refusal (or hands it to `onLimited`). Framework-free: it writes through the
 * adapter's `HttpFramework`.
 */
import type { Decision } from '../core/decision.js';
import { isThenable } from './callbackResults.js';
import { RateLimitHeaders, toSeconds } from './headers.js';
import type { HttpFramework } from './httpFramework.js';
import type { ResolvedHttpOptions } from './httpLimitOptions.js';
import { usableBody } from './refusalBody.js';

export class Responder<Req extends object, Res> {
  private readonly headers: RateLimitHeaders;

  constructor(
    private readonly options: ResolvedHttpOptions<Req, Res>,
    private readonly framework: HttpFramework<Req, Res>,
  ) {
    this.headers = new RateLimitHeaders(options.limiter.limits, options.headers, framework.lowerCaseHeaderNames === true);
  }

  /**
   * Sets the headers for `decision`, reports it to `onDecision` (with the request's `key`), and on a
   * refusal sends the refusal (or hands over to `onLimited`). Returns true when the request may go on,
   * false when it must not (it was refused, or `onDecision` answered it); a promise of that when a callback
   * returned a promise.
   */
  respond(req: Req, res: Res, decision: Decision, key: string): boolean | Promise<boolean> {
    const options = this.options;
    this.headers.write(res, decision, this.framework.setHeader);
    if (options.onDecision !== undefined) {
      const reported = options.onDecision(req, decision, key);
      if (isThenable(reported)) return this.afterReport(req, res, decision, reported);
      if (this.framework.responded(res)) return false;
    }
    return this.refuse(req, res, decision);
  }

  private async afterReport(req: Req, res: Res, decision: Decision, reported: PromiseLike<unknown>): Promise<boolean> {
    await reported;
    if (this.framework.responded(res)) return false;
    return this.refuse(req, res, decision);
  }

  /** True for an allowed decision; else sends the refusal (or lets `onLimited` send it) and returns false. */
  private refuse(req: Req, res: Res, decision: Decision): boolean | Promise<boolean> {
    if (decision.allowed) return true;
    const { onLimited, blocked } = this.options;
    if (onLimited !== undefined) {
      const handled = onLimited(req, res, decision);
      return isThenable(handled) ? this.afterCallback(handled) : false;
    }
    if (blocked !== undefined && decision.blocked) return this.send(req, res, decision, blocked.statusCode, blocked.message, 'Blocked');
    return this.send(req, res, decision, this.options.statusCode, this.options.message, 'Too Many Requests');
  }

  /** Sends a refusal with `statusCode` and `message` (the default body names `error`); false, or a promise of it. */
  private send(
    req: Req,
    res: Res,
    decision: Decision,
    statusCode: number,
    message: ResolvedHttpOptions<Req, Res>['message'],
    error: string,
  ): false | Promise<boolean> {
    if (message === undefined) {
      this.framework.send(res, statusCode, { error, retryAfter: toSeconds(decision.retryAfterMs) });
    } else if (typeof message !== 'function') {
      this.framework.send(res, statusCode, message);
    } else {
      const body = message(req, decision);
      if (isThenable(body)) return this.sendLater(res, statusCode, body);
      this.framework.send(res, statusCode, usableBody(body));
    }
    return false;
  }

  private async afterCallback(pending: PromiseLike<unknown>): Promise<boolean> {
    await pending;
    return false;
  }

  private async sendLater(res: Res, statusCode: number, body: PromiseLike<unknown>): Promise<boolean> {
    const settled = await body;
    if (!this.framework.responded(res)) this.framework.send(res, statusCode, usableBody(settled));
    return false;
  }
}
