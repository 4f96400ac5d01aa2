/**
 * Times every request of an HTTP server from entry to exit of its request listener, per arm.
 *
 * With a synchronous app (no async handler, hook or store) the whole request runs inside that call:
 * routing, limiter, handler, header serialisation (writeHead) and the socket write. That is checked
 * per request (`res.writableEnded` right after the call); a request that was not finished is counted,
 * since its time would miss the rest. Everything but the two clock reads runs outside the timed span.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ARM_HEADER, type Arm, type ArmId } from './arms.js';

/** What one arm recorded since the last `take()`. */
export interface ArmRecording {
  readonly id: ArmId;
  /** ns per request, in arrival order. */
  readonly times: Float64Array;
  /** Requests whose response had not ended when the listener returned. */
  readonly unfinished: number;
  readonly non2xx: number;
  /** Responses whose `RateLimit` header was there when the arm says it must not be, or missing when it must be. */
  readonly headerMismatches: number;
}

const RATE_LIMIT_HEADER = /\r\nratelimit:/i;

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

  constructor(readonly arm: Arm) {}

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

  /** `listener` wrapped so that each call is timed and recorded under the request's arm. */
  wrap(listener: RequestListener): RequestListener {
    if (this.clock === 'cpu') {
      return (req, res) => {
        const before = process.cpuUsage();
        listener(req, res);
        const spent = process.cpuUsage(before);
        this.record(req, res, (spent.user + spent.system) * 1000);
      };
    }
    return (req, res) => {
      const started = process.hrtime.bigint();
      listener(req, res);
      const ended = process.hrtime.bigint();
      this.record(req, res, Number(ended - started));
    };
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
    if (RATE_LIMIT_HEADER.test(sentHeader(res)) !== buffer.arm.rateLimitHeader) buffer.headerMismatches++;
  }
}
