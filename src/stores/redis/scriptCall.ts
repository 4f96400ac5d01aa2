import type { ScriptClient } from './redisClientAdapter.js';

/** A Lua script with its SHA1, for EVALSHA. */
export interface CachedScript {
  readonly body: string;
  readonly sha: string;
}

/**
 * Runs `script` by EVALSHA, falling back to EVAL (which loads it again) when Redis answers NOSCRIPT: after
 * a restart, a failover or SCRIPT FLUSH. Exactly one of `settle` and `fail` is called, once; a client that
 * throws instead of rejecting fails the same way.
 */
export function runScript(
  client: ScriptClient,
  script: CachedScript,
  keys: readonly string[],
  argv: readonly string[],
  settle: (reply: unknown) => void,
  fail: (error: unknown) => void,
): void {
  try {
    client.evalsha(script.sha, keys, argv).then(settle, (error: unknown) => {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        try {
          client.eval(script.body, keys, argv).then(settle, fail);
        } catch (thrown) {
          fail(thrown);
        }
      } else {
        fail(error);
      }
    });
  } catch (thrown) {
    fail(thrown);
  }
}
