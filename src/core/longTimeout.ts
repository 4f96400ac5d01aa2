/**
 * setTimeout for any delay. Node's timers hold at most 2^31 − 1 ms (about 24.8 days) and fire a longer
 * delay after 1 ms; a long timeout here is a chain of timers of at most that length, so it never fires
 * early. Each link waits at least what it was asked, so the whole never fires before `delayMs`.
 */

/** The longest delay one Node timer honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending long timeout; pass it to `clearLongTimeout` to cancel it. */
export interface LongTimeout {
  /** @internal The timer of the current link. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** @internal ms still to wait after the current link. */
  remaining: number;
  /** @internal Whether the timers keep the process alive. */
  readonly unref: boolean;
}

export interface LongTimeoutOptions {
  /** `true`: the timeout does not keep the process alive (as `timer.unref()`). Default false. */
  unref?: boolean;
}

/**
 * Calls `callback` once, after `delayMs` ms (any finite duration ≥ 0; fractions are kept as setTimeout
 * keeps them). Throws a RangeError for a negative, NaN or infinite delay.
 */
export function setLongTimeout(callback: () => void, delayMs: number, options: LongTimeoutOptions = {}): LongTimeout {
  if (!(delayMs >= 0) || delayMs === Number.POSITIVE_INFINITY) {
    throw new RangeError(`sluice: a timeout needs a finite delay ≥ 0 ms; got ${delayMs}`);
  }
  const handle: LongTimeout = { timer: undefined, remaining: delayMs, unref: options.unref === true };
  arm(handle, callback);
  return handle;
}

/** Cancels a long timeout (nothing happens if it already fired or was cleared, or is undefined). */
export function clearLongTimeout(handle: LongTimeout | undefined): void {
  if (handle === undefined) return;
  clearTimeout(handle.timer);
  handle.timer = undefined;
  handle.remaining = 0;
}

function arm(handle: LongTimeout, callback: () => void): void {
  const step = Math.min(handle.remaining, MAX_TIMER_MS);
  handle.remaining -= step;
  const timer = setTimeout(() => {
    // Cleared: by a clearTimeout that may not have reached this timer (fake timers installed since it was set).
    if (handle.timer !== timer) return;
    if (handle.remaining > 0) {
      arm(handle, callback);
    } else {
      handle.timer = undefined;
      callback();
    }
  }, step);
  handle.timer = timer;
  // Where setTimeout returns a number (jsdom, browsers) there is nothing to unref.
  if (handle.unref) timer.unref?.();
}
