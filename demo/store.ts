/**
 * The store both demos run on: the in-memory default, or with REDIS_URL set, a RedisStore on an ioredis
 * client to that server, each limiter under a fresh prefix so that a second run starts with full buckets.
 */
import { Redis } from 'ioredis';
import { RedisStore, type Store } from '../src/index.js';

export interface DemoStore {
  /** What the demo's output says it runs on. */
  readonly description: string;
  /** The `store` and `prefix` options of the limiter named `name` (none for the in-memory default). */
  options(name: string): { store?: Store; prefix?: string };
  close(): Promise<void>;
}

/**
 * `time` is the RedisStore's: `'client'` for a demo on a simulated clock. Rejects (naming the server)
 * when REDIS_URL is set but Redis cannot be reached, rather than demonstrating fail-open answers.
 */
export async function demoStore(time: 'redis' | 'client' = 'redis'): Promise<DemoStore> {
  const url = process.env.REDIS_URL;
  if (!url) return { description: 'in-memory store; set REDIS_URL to run it on Redis', options: () => ({}), close: async () => {} };
  // The host only: a URL may carry a password.
  const server = new URL(url).host;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot reach Redis at ${server} (REDIS_URL): ${(lastError ?? (error as Error)).message}`);
  }
  client.on('error', (error: Error) => console.error(`Redis at ${server}: ${error.message}`));
  const run = Date.now().toString(36);
  return {
    description: `RedisStore on ${server}${time === 'client' ? ", time: 'client' so the simulated clock decides" : ''}`,
    options: (name) => ({ store: new RedisStore({ client, time }), prefix: `sluice-demo:${run}:${name}:` }),
    close: async () => {
      await client.quit();
    },
  };
}

/** Ends a demo that cannot run with its reason, without a stack trace. */
export function exitWith(error: Error): never {
  console.error(`sluice demo: ${error.message}`);
  process.exit(1);
}
