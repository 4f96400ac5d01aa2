/**
 * The longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days): Node turns a longer one into
 * 1 ms, with a TimeoutOverflowWarning.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A pending {@link setLongTimeout}; cancel it with {@link clearLongTimeout}. */
export interface LongTimeout {
  /** @internal Cancels the current step of the chain. */
  clear(): void;
}

/** A chain of `setTimeout`s of at most MAX_TIMER_DELAY_MS each, adding up to the whole delay. */
class TimeoutChain implements LongTimeout {
  private timer: NodeJS.Timeout | undefined;
  private readonly onStep = () => this.step();

  constructor(
    private readonly callback: () => void,
    /** Delay still to wait after the current step, in ms. */
    private remaining: number,
    private readonly unref: boolean,
  ) {
    this.schedule();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    // NaN and negative delays pass through unchanged: setTimeout fires them at once, as it would without the chain.
    const delay = Math.min(this.remaining, MAX_TIMER_DELAY_MS);
    this.remaining = delay === this.remaining ? 0 : this.remaining - delay;
    this.timer = setTimeout(this.onStep, delay);
    if (this.unref) this.timer.unref();
  }

  private step(): void {
    if (this.remaining > 0) {
      this.schedule();
      return;
    }
    this.timer = undefined;
    this.callback();
  }
}

/**
 * `setTimeout` for any delay: calls `callback` once after `delayMs` ms, chaining timers of at most
 * 2^31 − 1 ms for longer delays instead of firing after 1 ms as `setTimeout` would. `Infinity` never fires.
 * With `unref`, the pending timer does not keep the process alive.
 */
export function setLongTimeout(callback: () => void, delayMs: number, unref = false): LongTimeout {
  return new TimeoutChain(callback, delayMs, unref);
}

/** Cancels a {@link setLongTimeout} (nothing happens if it already fired or was cleared). */
export function clearLongTimeout(handle: LongTimeout): void {
  handle.clear();
}
