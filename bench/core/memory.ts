/**
 * Child process of `npm run bench:core`: inserts N keys into one contender and answers with the bytes
 * it holds per key (V8 heap + ArrayBuffers, after full GCs). A process per contender, so heaps do not mix.
 * Forked with `--expose-gc` and the arguments `"<contender name>" <keys>`.
 */
import { serveParent } from '../lib/childServer.js';
import { CONTENDERS } from './contenders.js';

export interface MemoryProbe {
  readonly name: string;
  readonly keys: number;
  readonly bytesPerKey: number;
}

async function measure(): Promise<MemoryProbe> {
  const [name, countText = '1000000'] = process.argv.slice(2);
  const contender = CONTENDERS.find((c) => c.name === name);
  if (contender === undefined) throw new Error(`unknown contender ${JSON.stringify(name)}`);
  const maybeGc = (globalThis as { gc?: () => void }).gc;
  if (maybeGc === undefined) throw new Error('run with node --expose-gc');
  const gc: () => void = maybeGc;
  const count = Number(countText);

  // The key strings are made before the baseline and kept by the harness, so they count for no one:
  // the figure is what the limiter itself adds per key.
  const keys = Array.from({ length: count }, (_, i) => `user:${i}`);
  const take = contender.make({ lasting: true });
  const held = () => {
    for (let i = 0; i < 3; i++) gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  const before = held();
  for (const key of keys) {
    const result = take(key);
    if (contender.async) await result;
  }
  const after = held();
  // Use the limiter after measuring, so nothing it holds could be collected before.
  const sample = take(keys[0] as string);
  if (contender.async) await sample;
  return { name: contender.name, keys: keys.length, bytesPerKey: (after - before) / count };
}

await serveParent({ start: measure, api: {} });
