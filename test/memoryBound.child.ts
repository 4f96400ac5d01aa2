/**
 * Child process of memoryBound.test.ts (run with `node --expose-gc --import tsx`): floods a MemoryStore or a
 * deny cache with keys of one kind, then prints how much heap it holds (after full GCs) and what it counted.
 */

import { MemoryStore, RateLimiter } from '../src/index.js';
import { DenyCache } from '../src/stores/redis/denyCache.js';

const [target = '', kind = '', countText = '0', maxBytesText = ''] = process.argv.slice(2);
const count = Number(countText);
const maxBytes = maxBytesText === '' ? undefined : Number(maxBytesText);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

/** A fresh key per call, as a request brings one. */
const keys: Record<string, (i: number) => string> = {
  short: (i) => `user:${i}`,
  ip: (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  // 8,000 characters, unique at the end.
  long: (i) => 'k'.repeat(7_990) + String(i).padStart(10, '0'),
  // 20 characters cut from a string of 8,000 (as a header value sliced by a key function): V8 keeps a view.
  sliced: (i) => `${'h'.repeat(8_000)}${String(i).padStart(20, '0')}`.slice(-20),
};
const makeKey = keys[kind];
if (makeKey === undefined) throw new Error(`unknown key kind ${kind}`);

function held(): number {
  for (let i = 0; i < 3; i++) gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

let report: { heapGrowth: number; bytes: number; size: number; maxBytes: number };
if (target === 'memory') {
  const store = new MemoryStore({ sweepInterval: false, ...(maxBytes === undefined ? {} : { maxBytes }) });
  const limiter = new RateLimiter({ capacity: 10, refillRate: 1, interval: '1h', store });
  limiter.consumeSync('warm-up');
  const before = held();
  for (let i = 0; i < count; i++) limiter.consumeSync(makeKey(i));
  const heapGrowth = held() - before;
  limiter.consumeSync('warm-up'); // the store is used after the measurement, so nothing of it was collected
  report = { heapGrowth, bytes: store.bytes, size: store.size, maxBytes: store.maxBytes };
} else {
  const budget = maxBytes ?? 4 * 1024 * 1024;
  const cache = new DenyCache(1_000_000, budget);
  const bands = new RateLimiter({ capacity: 1, refillRate: 1, interval: '1s' }).limits;
  const before = held();
  for (let i = 0; i < count; i++) cache.remember(makeKey(i), bands, 1, { allowed: false, now: 0, aheads: [1e9] });
  const heapGrowth = held() - before;
  cache.lookup('anything', 1, 0);
  report = { heapGrowth, bytes: cache.bytes, size: cache.size, maxBytes: budget };
}
process.stdout.write(JSON.stringify(report));
