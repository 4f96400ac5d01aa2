/**
 * `npm run demo`: a burst of calls against a small bucket, then the refill over time, printed as a
 * table. The clock is simulated so the demo runs instantly and reads the same every time. In memory; with
 * REDIS_URL set, on a RedisStore (whose decisions are the same).
 */
import { RateLimiter } from '../src/index.js';
import { demoStore, exitWith } from './store.js';

let now = 0;
const store = await demoStore('client').catch(exitWith);
const limiter = new RateLimiter({ capacity: 5, refillRate: 2, interval: '1s', clock: () => now, ...store.options('core') });

console.log(`sluice demo (${store.description}): a bucket of 5 tokens refilled at 2 per second (one every 500 ms)\n`);
const rows: string[][] = [['t (ms)', 'call', 'cost', 'allowed', 'remaining', 'retry-after (ms)', 'reset (ms)']];
async function call(label: string, cost = 1): Promise<void> {
  const d = await limiter.consume('client-1', cost);
  rows.push([String(now), label, String(cost), d.allowed ? 'yes' : 'NO', String(d.remaining), String(d.retryAfterMs), String(d.resetMs)]);
}
try {
  for (let i = 1; i <= 7; i++) await call(`burst #${i}`);
  now = 250;
  await call('too early');
  now = 500;
  await call('after 500 ms');
  now = 1700;
  await call('after 1700 ms, 2 tokens', 2);
  now = 5000;
  await call('after 5 s (full)');
} finally {
  await store.close();
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const [i, row] of rows.entries()) {
  console.log(
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
