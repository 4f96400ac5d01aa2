/**
 * The framework-free heart of the adapters: request → key and cost → decision → headers and refusal.
 * An adapter supplies a few plain functions that read a request and write a response (`HttpFramework`)
 * and calls `decide` then `respond`; nothing here knows Express or Fastify.
 */
import type { Decision } from '../decision.js';
import type { RateLimiter } from '../rateLimiter.js';
import { clientKey } from './clientKey.js';
import { CountedRequests, type RequestMarks, weakMapMarks } from './countedRequests.js';
import { RateLimitHeaders, type SetHeader, toSeconds } from './headers.js';
import { type ResolvedHttpOptions, resolveHttpOptions } from './httpLimitOptions.js';
import { warned, warnOnce } from './warnings.js';

/** How an adapter reads its framework's request and writes its response. */
export interface HttpFramework<Req, Res> {
  /** The client IP as the framework resolved it (honouring its trust proxy setting). */
  ip(req: Req): string | undefined;
  /** The address of the TCP peer (the proxy, behind one). */
  socketAddress(req: Req): string | undefined;
  /** The raw X-Forwarded-For header, only to detect proxy misconfiguration. */
  forwardedFor(req: Req): string | string[] | undefined;
  /**
   * Whether trust proxy is `true` (trust every hop); undefined when the framework does not tell (Fastify
   * keeps `trustProxy` private, and a hop count cannot be told from `true` by looking at requests).
   */
  trustsEveryProxy(req: Req): boolean | undefined;
  setHeader: SetHeader<Res>;
  /** Sends the refusal body (a string, or an object as JSON) with `statusCode`. */
  send(res: Res, statusCode: number, body: unknown): void;
  /** Where a request's double-count marks live, if the framework has a cheaper place than the default WeakMap. */
  marks?: RequestMarks<Req>;
}

const PROXY_CHECKS_IN_FULL = 1024;
/** A power of two: the sampling test is a mask. */
const PROXY_CHECK_EVERY = 64;

export class HttpLimiter<Req extends object, Res> {
  readonly limiter: RateLimiter;
  /** True when the store is synchronous: `decide` then returns a Decision, never a promise. */
  readonly synchronous: boolean;
  readonly options: ResolvedHttpOptions<Req, Res>;
  private readonly headers: RateLimitHeaders;
  private readonly framework: HttpFramework<Req, Res>;
  private readonly counted: CountedRequests<Req>;
  /** The key of each request in flight, kept only when `onDecision` needs it. */
  private readonly keys: WeakMap<Req, string> | undefined;
  /**
   * Proxy checks run until the warning fired (or never, with `warnings: false` or a custom key): on each of
   * the first PROXY_CHECKS_IN_FULL requests, then on one in PROXY_CHECK_EVERY. Behind a misconfigured proxy
   * every request shows it, so sampling finds it as surely, at a counter's cost per request.
   */
  private watchProxy: boolean;
  private requestsSeen = 0;
  private trustChecked = false;

  constructor(options: unknown, framework: HttpFramework<Req, Res>, extraOptionNames: readonly string[] = []) {
    this.options = resolveHttpOptions<Req, Res>(options, extraOptionNames);
    this.limiter = this.options.limiter;
    this.synchronous = this.limiter.store.synchronous;
    this.headers = new RateLimitHeaders(this.limiter.limits, this.options.headers);
    this.framework = framework;
    this.counted = new CountedRequests<Req>(this.limiter, framework.marks ?? weakMapMarks);
    this.keys = this.options.onDecision === undefined ? undefined : new WeakMap();
    this.watchProxy = this.options.warnings && this.options.key === undefined;
  }

  /**
   * Counts the request. Returns undefined when it is not limited at all (skip, allowList, or already
   * counted by this limiter), else the decision, or a promise of it for an asynchronous store.
   * Throws (or rejects) on a bad key or cost, and on a store failure under `onStoreError: 'throw'`.
   */
  decide(req: Req): Decision | Promise<Decision> | undefined {
    const options = this.options;
    if (options.skip?.(req)) return undefined;
    let key: string;
    if (options.key === undefined) {
      const ip = this.framework.ip(req);
      if (options.allowRanges !== undefined && ip !== undefined && options.allowRanges.has(ip)) return undefined;
      if (this.watchProxy && (++this.requestsSeen <= PROXY_CHECKS_IN_FULL || (this.requestsSeen & (PROXY_CHECK_EVERY - 1)) === 0)) {
        this.checkProxy(req, ip);
      }
      key = clientKey(ip, options.ipv6Subnet);
    } else {
      if (options.allowRanges !== undefined) {
        const ip = this.framework.ip(req);
        if (ip !== undefined && options.allowRanges.has(ip)) return undefined;
      }
      key = options.key(req);
    }
    if (options.allowFunction?.(req)) return undefined;
    if (!this.counted.add(req, key)) {
      if (options.warnings) warnOnce('SLUICE_DOUBLE_COUNT');
      return undefined;
    }
    this.keys?.set(req, key);
    const cost = typeof options.cost === 'number' ? options.cost : options.cost(req);
    return this.synchronous ? this.limiter.consumeSync(key, cost) : this.limiter.consume(key, cost);
  }

  /**
   * Sets the headers for `decision`, reports it to `onDecision`, and on a refusal sends the refusal
   * (or hands over to `onLimited`). Returns true when the request may go on.
   */
  respond(req: Req, res: Res, decision: Decision): boolean {
    const options = this.options;
    this.headers.write(res, decision, this.framework.setHeader);
    if (options.onDecision !== undefined) options.onDecision(req, decision, this.keys?.get(req) as string);
    if (decision.allowed) return true;
    if (options.onLimited !== undefined) options.onLimited(req, res, decision);
    else this.framework.send(res, options.statusCode, this.body(req, decision));
    return false;
  }

  private body(req: Req, decision: Decision): unknown {
    const { message } = this.options;
    if (message === undefined) return { error: 'Too Many Requests', retryAfter: toSeconds(decision.retryAfterMs) };
    return typeof message === 'function' ? message(req, decision) : message;
  }

  private checkProxy(req: Req, ip: string | undefined): void {
    const forwarded = this.framework.forwardedFor(req);
    if (!this.trustChecked) {
      this.trustChecked = true;
      if (this.framework.trustsEveryProxy(req) === true) warnOnce('SLUICE_TRUST_PROXY_ALL');
    }
    // Forwarded, yet the client IP is the peer's: the header is ignored and every client shares the proxy's bucket.
    if (forwarded !== undefined && ip !== undefined && ip === this.framework.socketAddress(req)) warnOnce('SLUICE_TRUST_PROXY_OFF');
    if (warned('SLUICE_TRUST_PROXY_OFF')) this.watchProxy = false;
  }
}
