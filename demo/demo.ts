/**
 * `npm run demo`: a burst of calls against a small bucket, then the refill over time; then per-band costs (60
 * requests and 90,000 model tokens per minute), with the tokens settled after each call by charge or refund.
 * Printed as tables. The clock is simulated so the demo runs instantly and reads the same every time. In memory;
 * with REDIS_URL set, on a RedisStore (whose decisions are the same).
 */
import { type Decision, RateLimiter } from '../src/index.js';
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
const perBand = new RateLimiter({
  limits: [
    { capacity: 60, refillRate: 60, interval: '1m', name: 'requests' },
    { capacity: 90_000, refillRate: 90_000, interval: '1m', name: 'tokens' },
  ],
  clock: () => now,
  ...store.options('per-band'),
});
const perBandRows: string[][] = [['t (ms)', 'call', 'allowed', 'blocked', 'requests left', 'tokens left', 'retry-after (ms)']];
async function settle(label: string, decision: Promise<Decision>): Promise<void> {
  const d = await decision;
  const [requests, tokens] = d.bands ?? [];
  perBandRows.push([
    String(now),
    label,
    d.allowed ? 'yes' : 'NO',
    d.blocked ? 'yes' : 'no',
    String(requests?.remaining),
    String(tokens?.remaining),
    String(d.retryAfterMs),
  ]);
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

  // An LLM API: reserve an estimate of 1,000 tokens with the request, settle the actual use afterwards.
  now = 0;
  const key = 'api-key-1';
  await settle('consume { requests: 1, tokens: 1000 }', perBand.consume(key, { requests: 1, tokens: 1000 }));
  await settle('used 350: refund { tokens: 650 }', perBand.refund(key, { requests: 0, tokens: 650 }));
  await settle('consume { requests: 1, tokens: 1000 }', perBand.consume(key, { requests: 1, tokens: 1000 }));
  await settle('used 95,000: charge { tokens: 94000 }', perBand.charge(key, { requests: 0, tokens: 94_000 }));
  await settle('consume { requests: 1, tokens: 1000 }', perBand.consume(key, { requests: 1, tokens: 1000 }));
  now = 4000;
  await settle('after 4 s', perBand.consume(key, { requests: 1, tokens: 1000 }));
  now = 5234;
  await settle('after 5.234 s: debt refilled', perBand.consume(key, { requests: 1, tokens: 1000 }));
} finally {
  await store.close();
}

function print(table: string[][]): void {
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  for (const [i, row] of table.entries()) {
    console.log(
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
print(rows);
console.log('\nPer-band costs: 60 requests and 90,000 model tokens per minute, settled after each call\n');
print(perBandRows);
