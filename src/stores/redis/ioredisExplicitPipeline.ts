/**
 * Sending a script call past ioredis' auto-pipelining. With `enableAutoPipelining: true`, ioredis holds a command
 * for its next `setImmediate` and runs one auto-pipeline per server at a time: a batch RedisStore flushes waits
 * one more event-loop turn, and waits again behind the previous pipeline until all of it is answered, so Redis and
 * Node take turns idling. RedisStore coalesces its calls itself, so its script calls go as an explicit pipeline of
 * one command instead: written at once, and several may be on their way together.
 */

/** One reply of an ioredis pipeline: the error, or null and the result. */
type PipelineReply = [error: Error | null, result: unknown];

/** What RedisStore uses of an ioredis client to run a command past auto-pipelining. */
export interface ExplicitPipelineClient {
  /** The client's options as given; `enableAutoPipelining` is read once, at construction. */
  readonly options?: { readonly enableAutoPipelining?: boolean };
  pipeline?(commands: string[][]): { exec(): Promise<PipelineReply[] | null> };
}

/** True when `client` auto-pipelines its commands (and offers explicit pipelines to bypass that). */
export function autoPipelines(client: ExplicitPipelineClient): boolean {
  return client.options?.enableAutoPipelining === true && typeof client.pipeline === 'function';
}

/** Sends `command` (its words) to `client` as a pipeline of its own; rejects with the command's error reply. */
export function sendExplicitly(client: ExplicitPipelineClient, command: string[]): Promise<unknown> {
  return (client.pipeline as NonNullable<ExplicitPipelineClient['pipeline']>).call(client, [command]).exec().then(firstReply);
}

function firstReply(replies: PipelineReply[] | null): unknown {
  const reply = replies?.[0];
  // exec() answers null only for a discarded transaction, which a plain pipeline never is.
  if (reply === undefined) throw new Error('sluice: ioredis answered a pipeline with no reply');
  if (reply[0] !== null) throw reply[0];
  return reply[1];
}
