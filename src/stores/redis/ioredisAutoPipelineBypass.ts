/**
 * Sending a script call past ioredis' auto-pipelining. With `enableAutoPipelining: true`, ioredis holds each command
 * for its next `setImmediate` and runs one auto-pipeline per server at a time: a batch RedisStore flushes waits one
 * more event-loop turn, and then behind the previous pipeline until all of it is answered, so Redis and Node take
 * turns idling. RedisStore coalesces its calls itself, so its script calls skip that: ioredis decides whether to
 * auto-pipeline a command by reading `options.enableAutoPipelining` when the command is called, and sends it
 * synchronously otherwise; the flag is off for exactly that synchronous call (no other code runs meanwhile) and on
 * again before it returns. An explicit pipeline per call would do the same at several times the client CPU.
 */

/** What RedisStore uses of an ioredis client's options: the auto-pipelining flag, read at each command. */
export interface AutoPipeliningOptions {
  readonly options?: { enableAutoPipelining?: boolean };
}

/** True when `client` auto-pipelines its commands. */
export function autoPipelines(client: AutoPipeliningOptions): boolean {
  return client.options?.enableAutoPipelining === true;
}

/**
 * Calls `send` (one command of `client`) with auto-pipelining off, so ioredis writes it at once. Throws what `send`
 * throws; the flag is back on either way.
 */
export function withoutAutoPipelining<T>(client: AutoPipeliningOptions, send: () => T): T {
  const options = client.options as { enableAutoPipelining?: boolean };
  options.enableAutoPipelining = false;
  try {
    return send();
  } finally {
    options.enableAutoPipelining = true;
  }
}
