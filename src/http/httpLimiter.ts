/**
 * The framework-free heart of the adapters: request → key and cost → decision → headers and refusal.
 * An adapter supplies a few plain functions that read a request and write a response (`HttpFramework`)
 * and calls `decide` then `respond`; nothing here knows Express or Fastify.
 */
import type { Decision } from '../core/decision.js';
import { describeValue, SluiceArgumentError } from '../core/errors.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';
import { asError, isThenable, usableCost, usableKey } from './callbackResults.js';
import { clientKey } from './clientKey.js';
import { type CountedMark, CountedRequests, weakMapMarks } from './countedRequests.js';
import { HeldRequests } from './delay.js';
import type { HttpFramework, Next } from './httpFramework.js';
import type { ResolvedHttpOptions } from './httpLimitOptions.js';
import { ProxyWatch } from './proxyWatch.js';
import { Responder } from './responder.js';
import { Settlement } from './settlement.js';
import { warnOnce } from './warnings.js';

export type { HttpFramework, Next } from './httpFramework.js';

/** The steps of `decide` that run a user callback, where a returned promise is awaited. */
enum Step {
  Skip,
  Key,
  Allow,
  Cost,
}

export class HttpLimiter<Req extends object, Res> {
  readonly limiter: RateLimiter;
  /** True when the store is synchronous: `decide` then returns a Decision, unless a callback returned a promise. */
  readonly synchronous: boolean;
  readonly options: ResolvedHttpOptions<Req, Res>;
  private readonly responder: Responder<Req, Res>;
  private readonly framework: HttpFramework<Req, Res>;
  private readonly counted: CountedRequests<Req>;
  /** The key of each request in flight, kept only when `onDecision` needs it. */
  private readonly keys: WeakMap<Req, string> | undefined;
  /** Proxy checks, only for the default IP key (and not with `warnings: false`). */
  private readonly proxyWatch: ProxyWatch<Req, Res>;
  /** The requests held by `delay`; undefined without it, so a refusal is sent at once. */
  private readonly held: HeldRequests | undefined;
  /** Settles costs after the response with `finalCost`; undefined without it. */
  private readonly settlement: Settlement<Req, Res> | undefined;
  /**
   * The mark of the request whose tokens `consume` took last: a synchronous decision is finished before any
   * other request is counted, so it needs no second look-up of its mark (dear on Express, where it is a WeakMap's).
   */
  private lastMark: CountedMark | undefined;

  /** `options` as `resolveHttpOptions` read them, without `plans` (the plan dispatcher of planDispatch.ts handles those). */
  constructor(options: ResolvedHttpOptions<Req, Res>, framework: HttpFramework<Req, Res>) {
    this.options = options;
    this.limiter = this.options.limiter;
    this.synchronous = this.limiter.store.synchronous;
    this.responder = new Responder(this.options, framework);
    this.framework = framework;
    this.counted = new CountedRequests<Req>(this.limiter, framework.marks ?? weakMapMarks);
    this.keys = this.options.onDecision === undefined ? undefined : new WeakMap();
    this.proxyWatch = new ProxyWatch(framework, this.options.warnings && this.options.key === undefined);
    this.held = this.options.delay === undefined ? undefined : new HeldRequests(this.limiter, this.options.delay);
    const { finalCost } = this.options;
    this.settlement = finalCost === undefined ? undefined : new Settlement(this.limiter, finalCost);
  }

  /**
   * Runs the limiter on one request and goes on: `next()` when the request may proceed, `next(error)` for
   * a bad key or cost, a callback that threw or rejected, or a store failure under `onStoreError: 'throw'`;
   * neither when a refusal was sent or the response is gone already (then nothing is written either).
   */
  handle(req: Req, res: Res, next: Next): void {
    // An earlier middleware answered and still went on (a timeout that fired during body parsing): the
    // request is over, so it takes no token and gets no headers.
    if (this.framework.responded(res)) return;
    let decision: Decision | Promise<Decision | undefined> | undefined;
    try {
      decision = this.decide(req);
    } catch (error) {
      next(asError(error));
      return;
    }
    if (decision === undefined) next();
    else if (decision instanceof Promise)
      decision.then(
        (settled) => this.settle(req, res, next, settled),
        (error) => next(asError(error)),
      );
    else this.finish(req, res, next, decision, this.lastMark as CountedMark);
  }

  /** An asynchronous decision: meanwhile a timeout, or a callback, may have answered the request. */
  private settle(req: Req, res: Res, next: Next, decision: Decision | undefined): void {
    if (this.framework.responded(res)) return;
    if (decision === undefined) next();
    else this.finish(req, res, next, decision, this.counted.markOf(req) as CountedMark);
  }

  private finish(req: Req, res: Res, next: Next, decision: Decision, mark: CountedMark): void {
    mark.decision = decision;
    if (!decision.allowed && this.held?.canHold(decision)) {
      this.hold(req, res, next, mark);
      return;
    }
    if (this.settlement !== undefined && decision.allowed && !decision.degraded) this.watch(req, res, mark);
    this.proceed(req, res, next, decision);
  }

  /** Settles the request's cost once its response is over (`finalCost`). */
  private watch(req: Req, res: Res, mark: CountedMark): void {
    (this.settlement as Settlement<Req, Res>).watch(req, res, this.framework.nodeResponse(res), mark);
  }

  /** Holds a refused request until its tokens are due, then answers with the final decision. */
  private hold(req: Req, res: Res, next: Next, mark: CountedMark): void {
    (this.held as HeldRequests).hold(mark.key, mark.cost, this.framework.nodeResponse(res)).then(
      (decision) => {
        // Undefined: the client went away while held (its reservation is given back); nothing to answer.
        if (decision === undefined || this.framework.responded(res)) return;
        mark.decision = decision;
        if (this.settlement !== undefined && decision.allowed && !decision.degraded) this.watch(req, res, mark);
        this.proceed(req, res, next, decision);
      },
      (error) => next(asError(error)),
    );
  }

  private proceed(req: Req, res: Res, next: Next, decision: Decision): void {
    let proceed: boolean | Promise<boolean>;
    try {
      proceed = this.respond(req, res, decision);
    } catch (error) {
      next(asError(error));
      return;
    }
    if (proceed === true) next();
    else if (proceed !== false)
      proceed.then(
        (go) => go && next(),
        (error) => next(asError(error)),
      );
  }

  /**
   * Counts the request. Returns undefined when it is not limited at all (skip, allowList, or already
   * counted by this limiter), else the decision; a promise of either when the store is asynchronous or a
   * callback returned a promise. Throws (or rejects) on a bad key or cost, a callback that throws, and a
   * store failure under `onStoreError: 'throw'`.
   */
  decide(req: Req): Decision | Promise<Decision | undefined> | undefined {
    const { skip } = this.options;
    if (skip !== undefined) {
      const skipped = skip(req);
      // Stryker disable next-line StringLiteral: equivalent, resume reads its key argument only at Step.Allow (Step.Skip goes on to fromKey)
      if (skipped) return isThenable(skipped) ? this.resume(req, Step.Skip, skipped, '') : undefined;
    }
    return this.fromKey(req);
  }

  private fromKey(req: Req): Decision | Promise<Decision | undefined> | undefined {
    const options = this.options;
    let key: string;
    if (options.key === undefined) {
      const direct = this.framework.directIp(req);
      const ip = direct ?? this.framework.ip(req);
      if (options.allowRanges !== undefined && ip !== undefined && options.allowRanges.has(ip)) return undefined;
      this.proxyWatch.see(req, ip);
      key = direct !== undefined && direct.indexOf(':') === -1 ? direct : (clientKey(ip, options.ipv6Subnet) ?? this.notAnAddress(ip));
    } else {
      if (options.allowRanges !== undefined) {
        const ip = this.framework.ip(req);
        if (ip !== undefined && options.allowRanges.has(ip)) return undefined;
      }
      const returned = options.key(req);
      if (typeof returned === 'string' && returned.length !== 0) key = returned;
      else {
        // Stryker disable next-line StringLiteral: equivalent, resume reads its key argument only at Step.Allow (Step.Key's key is the promised value)
        if (isThenable(returned)) return this.resume(req, Step.Key, returned, '');
        key = usableKey(returned);
      }
    }
    return this.fromAllow(req, key);
  }

  private fromAllow(req: Req, key: string): Decision | Promise<Decision | undefined> | undefined {
    const { allowFunction, allowKeys } = this.options;
    if (allowKeys?.has(key)) return undefined;
    if (allowFunction !== undefined) {
      const allowed = allowFunction(req);
      if (allowed) return isThenable(allowed) ? this.resume(req, Step.Allow, allowed, key) : undefined;
    }
    return this.count(req, key);
  }

  private count(req: Req, key: string): Decision | Promise<Decision | undefined> | undefined {
    const mark = this.counted.add(req, key);
    if (mark === undefined) {
      if (this.options.warnings) warnOnce('SLUICE_DOUBLE_COUNT');
      return undefined;
    }
    this.keys?.set(req, key);
    const { cost } = this.options;
    if (typeof cost !== 'function') return this.consume(mark, cost);
    const returned = cost(req);
    if (typeof returned === 'number') return this.consume(mark, usableCost(returned));
    if (isThenable(returned)) return this.resume(req, Step.Cost, returned, key, mark);
    return this.consume(mark, usableCost(returned));
  }

  private consume(mark: CountedMark, cost: Cost): Decision | Promise<Decision> {
    mark.cost = cost;
    this.lastMark = mark;
    return this.synchronous ? this.limiter.consumeSync(mark.key, cost) : this.limiter.consume(mark.key, cost);
  }

  /** Goes on from `step` once the promise a callback returned settles: only requests that met one pay for this. */
  private async resume(
    req: Req,
    step: Step,
    pending: PromiseLike<unknown>,
    key: string,
    mark?: CountedMark,
  ): Promise<Decision | undefined> {
    const value = await pending;
    switch (step) {
      case Step.Skip:
        return value ? undefined : this.fromKey(req);
      case Step.Key:
        return this.fromAllow(req, usableKey(value));
      case Step.Allow:
        return value ? undefined : this.count(req, key);
      case Step.Cost:
        return this.consume(mark as CountedMark, usableCost(value));
    }
  }

  /** Throws for a client IP that is missing or not an address, warning once about the second (a proxy setup problem). */
  private notAnAddress(ip: string | undefined): never {
    if (ip === undefined || ip === '') {
      throw new SluiceArgumentError(
        'req.ip',
        ip,
        'must be the client IP address, but the request has none (its socket may have closed already); pass a `key` function to key on something else',
      );
    }
    if (this.options.warnings) warnOnce('SLUICE_CLIENT_IP_NOT_AN_ADDRESS', `The value was ${describeValue(ip)}.`);
    throw new SluiceArgumentError(
      'req.ip',
      ip,
      "must be the client's IP address, and a request whose IP is something else is not given a bucket of its own; set trust proxy to exactly your proxies, or pass a `key` function",
    );
  }

  /**
   * Sets the headers for `decision`, reports it to `onDecision`, and on a refusal sends the refusal
   * (or hands over to `onLimited`). Returns true when the request may go on, false when it must not (it
   * was refused, or `onDecision` answered it); a promise of that when a callback returned a promise.
   */
  respond(req: Req, res: Res, decision: Decision): boolean | Promise<boolean> {
    return this.responder.respond(req, res, decision, this.keys?.get(req) as string);
  }
}
