/**
 * Delaying instead of refusing (the HTTP `delay` option): a request over the limit is held until its
 * tokens are due and then let through, as nginx's `limit_req` with a burst and without `nodelay`. The hold
 * is a reservation through `limiter.wait()`, so held requests are served in order and the rate stays
 * exact; a client that disconnects while held aborts its wait, which gives its reservation back. The
 * number of requests held at once is bounded, so holding cannot exhaust memory or sockets.
 */
import type { ServerResponse } from 'node:http';
import type { Decision } from '../core/decision.js';
import { SluiceConfigError } from '../core/errors.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';

/** The `delay` option: hold an over-limit request up to `maxWaitMs`, at most `maxHeld` at once (default 1000). */
export interface DelayOptions {
  /** Longest hold, in ms (≥ 0, at most the limiter's `maxWaitMs`); a request whose tokens are further off is refused at once. */
  maxWaitMs: number;
  /** Most requests held at once by this limiter (a whole number ≥ 1); beyond it, the normal refusal. Default 1000. */
  maxHeld?: number;
}

export interface ResolvedDelay {
  readonly maxWaitMs: number;
  readonly maxHeld: number;
}

const DEFAULT_MAX_HELD = 1000;

/** Reads the `delay` option; throws a SluiceConfigError naming `delay.maxWaitMs` / `delay.maxHeld` and the value. */
export function readDelay(value: unknown, path: string): ResolvedDelay | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === null || typeof value !== 'object') throw new SluiceConfigError(path, value, 'must be an object { maxWaitMs, maxHeld }');
  const { maxWaitMs, maxHeld = DEFAULT_MAX_HELD, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new SluiceConfigError(`${path}.${unknown}`, rest[unknown], 'is not an option of `delay` (maxWaitMs, maxHeld)');
  if (typeof maxWaitMs !== 'number' || !(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) {
    throw new SluiceConfigError(`${path}.maxWaitMs`, maxWaitMs, 'must be a finite number of ms ≥ 0');
  }
  if (typeof maxHeld !== 'number' || !Number.isInteger(maxHeld) || maxHeld < 1) {
    throw new SluiceConfigError(`${path}.maxHeld`, maxHeld, 'must be a whole number ≥ 1');
  }
  return { maxWaitMs, maxHeld };
}

/** The requests one limiter holds. */
export class HeldRequests {
  private held = 0;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly delay: ResolvedDelay,
  ) {
    if (delay.maxWaitMs > limiter.maxWaitMs) {
      throw new SluiceConfigError('delay.maxWaitMs', delay.maxWaitMs, `must be at most the limiter's maxWaitMs (${limiter.maxWaitMs} ms)`);
    }
  }

  /** How many requests are held now. */
  get size(): number {
    return this.held;
  }

  /**
   * Whether a refusal may be held: the store answered (not a degraded decision), the tokens are due within
   * `maxWaitMs`, and fewer than `maxHeld` requests are held.
   */
  canHold(decision: Decision): boolean {
    return !decision.degraded && decision.retryAfterMs <= this.delay.maxWaitMs && this.held < this.delay.maxHeld;
  }

  /**
   * Reserves `cost` tokens for `key` and resolves once they are due with the final decision (allowed, or a
   * refusal when the wait turned out longer than `maxWaitMs`), or with undefined when the response closed
   * first (the client went away: the reservation is given back). Rejects as `limiter.wait()` does.
   */
  async hold(key: string, cost: Cost, response: ServerResponse): Promise<Decision | undefined> {
    if (response.destroyed) return undefined;
    const abort = new AbortController();
    const onClose = () => abort.abort();
    response.once('close', onClose);
    this.held++;
    try {
      return await this.limiter.wait(key, cost, { maxWaitMs: this.delay.maxWaitMs, signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) return undefined;
      throw error;
    } finally {
      this.held--;
      response.off('close', onClose);
    }
  }
}
