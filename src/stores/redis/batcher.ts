/**
 * Coalescing of store calls into batches, per lane: a lane is one Redis server (a Cluster master, or the one
 * server), with its own queue and its own count of batches in flight. A server that stalls or dies holds up
 * only its own lane: its batches stay unanswered while the other lanes' calls keep going out.
 */

import { realSetImmediate } from '../../core/realTimers.js';

/** The calls waiting for one server, and its batches on their way. */
export class BatchLane<Call> {
  queue: Call[] = [];
  /** Batches sent to this lane's server and not answered yet. */
  inFlight = 0;
  /** True while the lane waits in the batcher's due list for the next flush. */
  due = false;

  /** `node`: the server this lane sends to (a Cluster node's `host:port`, or '' for the only one). */
  constructor(readonly node: string) {}
}

export interface BatcherOptions<Call> {
  /** Most calls in one batch; more waiting calls go as several batches. */
  readonly maxBatchSize: number;
  /** Batches a lane may have in flight before new calls wait for one to come back (a full batch never waits). */
  readonly maxBatchesInFlight: number;
  /**
   * Sends a lane's waiting calls (in arrival order), as batches of at most maxBatchSize, calling
   * `lane`'s `sent` once per batch sent and then `answered` once per batch when it comes back or fails.
   */
  readonly flush: (lane: BatchLane<Call>, calls: Call[]) => void;
}

/**
 * Queues calls per lane and flushes every due lane once per event-loop turn, on `setImmediate`: after the
 * poll phase, so calls from every request that arrived in one turn (not only one callback's) go together.
 * A lane is due when it has fewer than `maxBatchesInFlight` batches out or a full batch waits; otherwise its
 * calls go when one of its batches comes back.
 */
export class Batcher<Call> {
  private due: BatchLane<Call>[] = [];
  private flushScheduled = false;
  private readonly flushDue = () => this.flushLanes();

  constructor(private readonly options: BatcherOptions<Call>) {}

  add(lane: BatchLane<Call>, call: Call): void {
    lane.queue.push(call);
    if (!lane.due && (lane.inFlight < this.options.maxBatchesInFlight || lane.queue.length >= this.options.maxBatchSize)) {
      this.schedule(lane);
    }
  }

  /** A batch of `lane` went out. */
  sent(lane: BatchLane<Call>): void {
    lane.inFlight++;
  }

  /**
   * A batch of `lane` came back (answered or failed): whatever waits in the lane goes now, even with other
   * batches still out, so no call waits for the slowest batch.
   */
  answered(lane: BatchLane<Call>): void {
    lane.inFlight--;
    if (!lane.due && lane.queue.length > 0) this.schedule(lane);
  }

  private schedule(lane: BatchLane<Call>): void {
    lane.due = true;
    this.due.push(lane);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    realSetImmediate(this.flushDue);
  }

  private flushLanes(): void {
    this.flushScheduled = false;
    const lanes = this.due;
    this.due = [];
    for (const lane of lanes) {
      lane.due = false;
      const calls = lane.queue;
      lane.queue = [];
      this.options.flush(lane, calls);
    }
  }
}
