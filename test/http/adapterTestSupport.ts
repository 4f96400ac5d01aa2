/** What the Express and Fastify adapter tests share: the stores to run on, the rate-limit headers. */

import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { RedisStore, type Store } from '../../src/index.js';
import {
  DECISION_TIMEOUT_MS,
  redisClient,
  redisClusterClient,
  redisClusterNodes,
  redisOptions,
  uniquePrefix,
} from '../setup/redisTarget.js';
import { type CapturedWarning, takeWarnings } from '../setup/warningGuard.js';

/**
 * The stores every adapter test runs on: memory, and Redis when the test setup started one; with `cluster`, also
 * the Redis Cluster (for tests about key names).
 */
export function storeVariants(name: string, { cluster = false } = {}): [string, (() => StoreOptions) | undefined][] {
  const single = redisOptions();
  const timeoutMs = DECISION_TIMEOUT_MS;
  const variants: [string, (() => StoreOptions) | undefined][] = [
    ['memory', () => ({})],
    ['redis', single && (() => ({ store: new RedisStore({ client: redisClient() }), prefix: uniquePrefix(name), timeoutMs }))],
  ];
  const nodes = cluster ? redisClusterNodes() : undefined;
  if (cluster) {
    const options = () => ({ store: new RedisStore({ client: redisClusterClient() }), prefix: uniquePrefix(name), timeoutMs });
    variants.push(['redis cluster', nodes && options]);
  }
  return variants;
}

type StoreOptions = { store?: Store; prefix?: string; timeoutMs?: number };

/** The rate-limit headers of a response (RateLimit*, X-RateLimit-*, Retry-After), by lower-case name. */
export function rateLimitHeaders(headers: Iterable<[string, unknown]>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of headers) if (/^(ratelimit|x-ratelimit|retry-after)/.test(name)) picked[name] = String(value);
  return picked;
}

/**
 * The warnings of the running test so far: takes them from the warning guard (so they count as expected)
 * and keeps them for the rest of the test.
 */
export function captureWarnings(): () => CapturedWarning[] {
  const seen: CapturedWarning[] = [];
  beforeEach(() => {
    seen.length = 0;
  });
  return () => {
    seen.push(...takeWarnings());
    return seen;
  };
}

/** Lets pending callbacks (a late store answer, an async user callback) run. */
export const tick = () => new Promise((resolve) => setImmediate(resolve));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds (work that runs after the client has its response), failing after `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const until = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > until) throw new Error('condition not reached');
    await sleep(10);
  }
}

/**
 * Fails each test after which an unhandled rejection was seen: nothing a user callback does may end in one (Node
 * would exit on it). Registers the listener for the test file.
 */
export function failOnUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await tick();
    expect(unhandled.splice(0)).toEqual([]);
  });
}

/**
 * Starts an Express app on a free port of `host` (IPv4 loopback by default); pushes its closer (connections included)
 * on `closers`; resolves to its URL.
 */
export function listenExpress(
  app: { listen: import('express').Express['listen'] },
  closers: (() => Promise<void>)[],
  host = '127.0.0.1',
): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, host, () => {
      closers.push(
        () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      );
      resolve(`http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as import('node:net').AddressInfo).port}`);
    });
  });
}
