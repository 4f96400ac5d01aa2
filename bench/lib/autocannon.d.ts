// The part of autocannon's programmatic API the benchmarks use (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** One request as autocannon builds it; `setupRequest` may return a changed copy. */
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    setupRequest?: (request: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  }
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds (fractions allowed). */
    duration?: number;
    /** Requests per second over all connections. */
    overallRate?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
    /** ms between samples; the run ends on the first sample after `duration`. */
    sampleInt?: number;
    /** Replaces `[<id>]` in headers, body and URL by a new unique id on every request. */
    idReplacement?: boolean;
  }
  export interface AutocannonResult {
    requests: { total: number; sent: number; average: number };
    latency: { p50: number; p90: number; p99: number; max: number; average: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    statusCodeStats: Record<string, { count: number }>;
  }
  export interface AutocannonInstance extends PromiseLike<AutocannonResult>, EventEmitter {
    stop(): void;
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
  export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
