import { clearLongTimeout, type LongTimeout, MAX_TIMER_MS, setLongTimeout } from '../../core/longTimeout.js';
import { realSetImmediate } from '../../core/realTimers.js';
import type { KeyTable } from './keyTable.js';

// Keys looked at per event-loop turn by the background sweep, so a large store never blocks for long.
const SWEEP_CHUNK = 10_000;

/** What the sweeper needs of its store. */
export interface SweptStore {
  /** The tables to walk, at the start of a pass. */
  tables(): KeyTable[];
  /** The time fullness is judged at: the latest time seen in a call (the limiters' own clock). */
  latestNow(): number;
  /** Forgets a key whose buckets are full. */
  drop(table: KeyTable, key: string, slot: number): void;
  /** Number of keys held: at 0 the timer stops until a key comes. */
  size(): number;
}

/**
 * The background sweep: every `intervalMs`, an `unref`'d timer starts a pass that drops keys whose buckets
 * are full again, in chunks of SWEEP_CHUNK keys with a turn of the event loop between them.
 */
export class Sweeper {
  /**
   * The timer: an interval, or for an interval beyond a Node timer's range (which Node would cut to 1 ms)
   * a long timeout armed again at each pass.
   */
  private timer: NodeJS.Timeout | LongTimeout | undefined;
  private readonly onTimer = () => this.startPass();
  private sweeping = false;
  private pending: KeyTable[] = [];
  private table: KeyTable | undefined;
  private entries: Iterator<[string, number]> | undefined;

  constructor(
    private readonly store: SweptStore,
    /** ms between passes, or false for never. */
    private readonly intervalMs: number | false,
  ) {}

  /** Arms the timer if it is not running (called when a key is added). */
  start(): void {
    if (this.timer !== undefined || this.intervalMs === false) return;
    if (this.intervalMs > MAX_TIMER_MS) {
      this.timer = setLongTimeout(this.onTimer, this.intervalMs, { unref: true });
    } else {
      this.timer = setInterval(this.onTimer, this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer and abandons a pass under way. */
  stop(): void {
    this.stopTimer();
    this.sweeping = false;
    this.pending = [];
    this.entries = undefined;
  }

  private stopTimer(): void {
    const timer = this.timer;
    // Clearing no timer is harmless: both clears ignore undefined.
    if (this.intervalMs !== false && this.intervalMs > MAX_TIMER_MS) clearLongTimeout(timer as LongTimeout | undefined);
    else clearInterval(timer as NodeJS.Timeout | undefined);
    this.timer = undefined;
  }

  private startPass(): void {
    const interval = this.intervalMs as number;
    if (interval > MAX_TIMER_MS) this.timer = setLongTimeout(this.onTimer, interval, { unref: true });
    if (this.sweeping) return; // the previous pass is still walking a large store
    this.sweeping = true;
    this.pending = this.store.tables();
    this.chunk();
  }

  /** One step of a pass: up to SWEEP_CHUNK keys, then yield to the event loop and resume. */
  private chunk(): void {
    const now = this.store.latestNow();
    let budget = SWEEP_CHUNK;
    while (this.entries !== undefined || this.pending.length > 0) {
      if (this.entries === undefined) {
        this.table = this.pending.shift() as KeyTable;
        // Map iterators stay valid while the map changes, so a later chunk resumes where this one stopped.
        this.entries = this.table.slots.entries();
      }
      const table = this.table as KeyTable;
      for (let step = this.entries.next(); !step.done; step = this.entries.next()) {
        const [key, slot] = step.value;
        if (table.isFull(slot, now)) this.store.drop(table, key, slot);
        if (--budget === 0) {
          realSetImmediate(() => this.chunk());
          return;
        }
      }
      this.entries = undefined;
    }
    this.sweeping = false;
    if (this.store.size() === 0) this.stopTimer();
  }
}
