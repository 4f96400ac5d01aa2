// The part of autocannon's programmatic API bench:http uses (the package ships no types).
declare module 'autocannon' {
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    pipelining?: number;
    /** Seconds (fractions allowed). */
    duration?: number;
    headers?: Record<string, string>;
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
  export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
    stop(): void;
  }
  export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
