import { clearLongTimeout, type LongTimeout, setLongTimeout } from '../core/longTimeout.js';

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
  private timer: LongTimeout | undefined;
  /** When `timer` should fire (performance.now() ms). */
  private timerDue = 0;
  private readonly onTimer = () => this.expireDue();

  constructor(private readonly timeoutMs: number) {}

  add(entry: Deadline): void {
    // Answered calls leave from the front now, not only when the timer next fires: with a long timeoutMs
    // the queue would otherwise hold every call made in that time.
    while (this.head?.settled) this.shift();
    const now = performance.now();
    entry.at = now + this.timeoutMs;
    entry.next = undefined;
    if (this.tail === undefined) this.head = entry;
    else this.tail.next = entry;
    this.tail = entry;
    if (this.timer === undefined) this.schedule(this.timeoutMs);
    else if (now >= this.timerDue + this.timeoutMs) {
      // A timer a whole timeout or more overdue will not fire: fake timers (a test's) made it and were uninstalled since.
      // Without a new one, no call of this limiter would ever time out again.
      clearLongTimeout(this.timer);
      this.schedule(this.timeoutMs);
    }
  }

  private schedule(delay: number): void {
    // +1: setTimeout may fire a fraction of a ms early relative to performance.now(). A long timer:
    // a timeoutMs beyond setTimeout's range would otherwise come due every ms.
    const wait = Math.max(0, delay) + 1;
    this.timerDue = performance.now() + wait;
    this.timer = setLongTimeout(this.onTimer, wait);
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head !== undefined && (this.head.settled || this.head.at <= now)) {
      const entry = this.shift();
      if (!entry.settled) entry.expire();
    }
    if (this.head !== undefined) this.schedule(this.head.at - now);
  }

  private shift(): Deadline {
    const entry = this.head as Deadline;
    this.head = entry.next;
    entry.next = undefined;
    if (this.head === undefined) this.tail = undefined;
    return entry;
  }
}
