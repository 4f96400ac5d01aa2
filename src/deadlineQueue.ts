/**
 * A pending call that must be answered by its deadline. The call object is itself the queue entry,
 * so a call allocates no separate timer record or closure.
 */
export interface Deadline {
  /** When it is due (performance.now() ms); set by the queue. */
  at: number;
  /** Set once the call was answered, so the timer skips it. */
  settled: boolean;
  /** Called once the deadline passed while `settled` was still false. */
  expire(): void;
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
  /** When `timer` should fire (performance.now() ms). */
  private timerDue = 0;
  private readonly onTimer = () => this.expireDue();

  constructor(private readonly timeoutMs: number) {}

  add(entry: Deadline): void {
    const now = performance.now();
    entry.at = now + this.timeoutMs;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    if (this.timer === undefined) this.schedule(this.timeoutMs);
    else if (now > this.timerDue + this.timeoutMs) {
      // A timer a whole timeout overdue will not fire: fake timers (a test's) made it and were uninstalled since.
      // Without a new one, no call of this limiter would ever time out again.
      clearTimeout(this.timer);
      this.schedule(this.timeoutMs);
    }
  }

  private schedule(delay: number): void {
    const wait = Math.max(0, delay) + 1; // +1: setTimeout may fire a fraction of a ms early relative to performance.now()
    this.timerDue = performance.now() + wait;
    this.timer = setTimeout(this.onTimer, wait);
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head !== undefined && (this.head.settled || this.head.at <= now)) {
      const entry = this.head;
      this.head = entry.next;
      entry.next = undefined;
      if (this.head === undefined) this.tail = undefined;
      if (!entry.settled) entry.expire();
    }
    if (this.head !== undefined) this.schedule(this.head.at - now);
  }
}
