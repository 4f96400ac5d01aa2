/** A pending call that must be answered by its deadline. */
export interface Deadline {
  readonly at: number;
  /** Set once the call was answered, so the timer skips it. */
  settled: boolean;
  readonly onTimeout: () => void;
  next: Deadline | undefined;
}

/**
 * Timeouts for store calls without a timer per call. Every call of one limiter has the same timeout,
 * so deadlines come due in the order they were added: a FIFO list and one timer (for its head) do.
 */
export class DeadlineQueue {
  private head: Deadline | undefined;
  private tail: Deadline | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(onTimeout: () => void): Deadline {
    const entry: Deadline = { at: performance.now() + this.timeoutMs, settled: false, onTimeout, next: undefined };
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    if (this.timer === undefined) this.schedule(this.timeoutMs);
    return entry;
  }

  private schedule(delay: number): void {
    // +1: setTimeout may fire a fraction of a ms early relative to performance.now().
    this.timer = setTimeout(() => this.expire(), Math.max(0, delay) + 1);
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head !== undefined && (this.head.settled || this.head.at <= now)) {
      const entry = this.head;
      this.head = entry.next;
      if (this.head === undefined) this.tail = undefined;
      if (!entry.settled) {
        entry.settled = true;
        entry.onTimeout();
      }
    }
    if (this.head !== undefined) this.schedule(this.head.at - now);
  }
}
