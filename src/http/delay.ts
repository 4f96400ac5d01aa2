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
import { readOption } from '../core/unreadableArgument.js';
import type { Cost } from '../limiter/callCost.js';
import type { RateLimiter } from '../limiter/rateLimiter.js';

/** The `delay` option: hold an over-limit request up to `maxWaitMs`, at most `maxHeld` at once (default 1000). */
export interface DelayOptions {
  /** Longest hold, in ms (≥ 0, at most the limiter's `maxWaitMs`); a request whose tokens are further off is refused at once. */
  maxWaitMs: number;
  /**
   * Most requests held at once by this limiter, counted over every middleware and route that uses it (a whole
   * number ≥ 1); beyond it, the normal refusal. Default 1000.
   */
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
  return readOption(path, value, () => readDelayObject(value as Record<string, unknown>, path));
}

function readDelayObject(value: Record<string, unknown>, path: string): ResolvedDelay {
  const { maxWaitMs, maxHeld = DEFAULT_MAX_HELD, ...rest } = value;
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

/**
 * How many requests each limiter holds now, whichever middleware or route holds them: `maxHeld` bounds
 * the limiter, so one limiter behind several routes holds no more than its `maxHeld`.
 */
const heldByLimiter = new WeakMap<RateLimiter, { count: number }>();

/** The held-request count of `limiter`, shared by every middleware that delays with it. */
function heldCountOf(limiter: RateLimiter): { count: number } {
  let held = heldByLimiter.get(limiter);
  if (held === undefined) {
    held = { count: 0 };
    heldByLimiter.set(limiter, held);
  }
  return held;
}

/** The requests one middleware holds, counted with the others of the same limiter. */
export class HeldRequests {
  private readonly held: { count: number };

  constructor(
    private readonly limiter: RateLimiter,
    private readonly delay: ResolvedDelay,
  ) {
    this.held = heldCountOf(limiter);
    if (delay.maxWaitMs > limiter.maxWaitMs) {
      throw new SluiceConfigError('delay.maxWaitMs', delay.maxWaitMs, `must be at most the limiter's maxWaitMs (${limiter.maxWaitMs} ms)`);
    }
  }

  /** How many requests the limiter holds now (through any middleware). */
  get size(): number {
    return this.held.count;
  }

  /**
   * Whether a refusal may be held: the store answered (not a degraded decision), the tokens are due within
   * `maxWaitMs`, and the limiter holds fewer than `maxHeld` requests.
   */
  canHold(decision: Decision): boolean {
    // A blocked key (`blockDuration`) gets the blocked answer: holding it would wait out the block and let it through.
    return !decision.degraded && !decision.blocked && decision.retryAfterMs <= this.delay.maxWaitMs && this.held.count < this.delay.maxHeld;
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
    this.held.count++;
    try {
      return await this.limiter.wait(key, cost, { maxWaitMs: this.delay.maxWaitMs, signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) return undefined;
      throw error;
    } finally {
      this.held.count--;
      response.off('close', onClose);
    }
  }
}
