/**
 * Times every request of an HTTP server from entry to exit of its request listener, per arm; a
 * response still open when the listener returns is followed through the microtask queue.
 *
 * With a synchronous app (no async handler, hook or store) the whole request runs inside that call:
 * routing, limiter, handler, header serialisation (writeHead) and the socket write. A limiter that
 * answers asynchronously (the peers: an async middleware or hook on a promise-returning memory store)
 * ends the response in microtasks queued by that call. Node drains the microtask queue (and the
 * request's own `process.nextTick`s) when the listener's I/O callback returns, before it runs any
 * other callback, so no other request's work can fall into a span ended there. So the timer queues a
 * check that takes the clock once `res.writableEnded` is true, else queues itself again, behind the
 * microtasks the chain queued meanwhile. A response not ended within MAX_HOPS checks waits on
 * something else (a timer, I/O, setImmediate): its time would miss the rest, so it is counted as
 * unfinished, as is one whose chain never ends. What the following itself costs (the checks, and the
 * parser's end of the request that now runs inside the span) is what the control arm with an empty
 * async middleware / hook adds over bare. Everything but the clock reads runs outside the timed span.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ARM_HEADER, type Arm, type ArmId, RATE_LIMIT_HEADER_NAMES } from './arms.js';

/** What one arm recorded since the last `take()`. */
export interface ArmRecording {
  readonly id: ArmId;
  /** ns per request, in arrival order. */
  readonly times: Float64Array;
  /** Requests whose response had not ended when the listener returned, nor after MAX_HOPS microtasks. */
  readonly unfinished: number;
  readonly non2xx: number;
  /** Responses without the arm's expected rate-limit header, or with one when the arm expects none. */
  readonly headerMismatches: number;
}

/** Microtask checks before a response that has not ended is given up on (counted unfinished). */
export const MAX_HOPS = 10_000;

/** Matches a sent head carrying the header `name`. */
const headerIn = (name: string) => new RegExp(`\\r\\n${name}:`, 'i');
const ANY_RATE_LIMIT_HEADER = headerIn(`(?:${RATE_LIMIT_HEADER_NAMES.join('|')})`);

/**
 * The response head as sent. Not `res.hasHeader()`: Fastify passes its headers to `writeHead` as an
 * object, which Node serialises without storing them where `getHeader` looks.
 */
function sentHeader(res: ServerResponse): string {
  const head = (res as ServerResponse & { _header?: unknown })._header;
  return typeof head === 'string' ? head : '';
}

class ArmBuffer {
  times = new Float64Array(1 << 16);
  count = 0;
  unfinished = 0;
  non2xx = 0;
  headerMismatches = 0;
  /** Whether a sent head is as the arm expects: its header there, or no rate-limit header at all. */
  readonly headerAsExpected: (head: string) => boolean;

  constructor(readonly arm: Arm) {
    const expected = arm.expectedHeader === null ? undefined : headerIn(arm.expectedHeader);
    this.headerAsExpected = expected === undefined ? (head) => !ANY_RATE_LIMIT_HEADER.test(head) : (head) => expected.test(head);
  }

  add(ns: number): void {
    if (this.count === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.count++] = ns;
  }

  take(): ArmRecording {
    const recording = {
      id: this.arm.id,
      times: this.times.slice(0, this.count),
      unfinished: this.unfinished,
      non2xx: this.non2xx,
      headerMismatches: this.headerMismatches,
    };
    this.count = this.unfinished = this.non2xx = this.headerMismatches = 0;
    return recording;
  }
}

/**
 * What a request's time is: `wall`, the elapsed time of the call; or `cpu`, the process' CPU time
 * (user + system, µs resolution) spent during the call, which a preemption on a crowded machine does
 * not inflate (other threads of the process, such as the collector's helpers, do add to it).
 */
export type RequestClock = 'wall' | 'cpu';

export class RequestTimer {
  private readonly buffers: Map<string, ArmBuffer>;
  /** Requests that named no known arm (not timed). */
  private unknownArm = 0;

  constructor(
    arms: readonly Arm[],
    private readonly clock: RequestClock = 'wall',
  ) {
    this.buffers = new Map(arms.map((arm) => [arm.id, new ArmBuffer(arm)]));
  }

  /**
   * `listener` wrapped so that each call is timed and recorded under the request's arm; a response not
   * ended when the call returns is followed through the microtask queue (see the top of this file).
   */
  wrap(listener: RequestListener): RequestListener {
    if (this.clock === 'cpu') {
      return (req, res) => {
        const before = process.cpuUsage();
        listener(req, res);
        const spent = process.cpuUsage(before);
        if (res.writableEnded) {
          this.record(req, res, (spent.user + spent.system) * 1000);
        } else {
          this.follow(req, res, () => {
            const total = process.cpuUsage(before);
            return (total.user + total.system) * 1000;
          });
        }
      };
    }
    return (req, res) => {
      const started = process.hrtime.bigint();
      listener(req, res);
      const ended = process.hrtime.bigint();
      if (res.writableEnded) this.record(req, res, Number(ended - started));
      else this.follow(req, res, () => Number(process.hrtime.bigint() - started));
    };
  }

  /** Records the request once its response has ended, checking once per microtask, at most MAX_HOPS times. */
  private follow(req: IncomingMessage, res: ServerResponse, elapsedNs: () => number): void {
    let hops = 0;
    const check = () => {
      if (res.writableEnded || ++hops >= MAX_HOPS) this.record(req, res, elapsedNs());
      else queueMicrotask(check);
    };
    queueMicrotask(check);
  }

  /** Everything recorded since the last call, per arm, and the requests of no known arm; starts afresh. */
  take(): { arms: ArmRecording[]; unknownArm: number } {
    const unknownArm = this.unknownArm;
    this.unknownArm = 0;
    return { arms: [...this.buffers.values()].map((buffer) => buffer.take()), unknownArm };
  }

  private record(req: IncomingMessage, res: ServerResponse, ns: number): void {
    const buffer = this.buffers.get(String(req.headers[ARM_HEADER]));
    if (buffer === undefined) {
      this.unknownArm++;
      return;
    }
    buffer.add(ns);
    if (!res.writableEnded) buffer.unfinished++;
    if (res.statusCode < 200 || res.statusCode > 299) buffer.non2xx++;
    if (!buffer.headerAsExpected(sentHeader(res))) buffer.headerMismatches++;
  }
}
