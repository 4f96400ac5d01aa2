/** A child for test/benchLib.test.ts: `ok`, `fail` (its start throws) or `hang-stop` (it ignores being asked to stop). */
import { setTimeout as sleep } from 'node:timers/promises';
import { serveParent } from '../bench/lib/childServer.js';

const mode = process.argv[2] ?? 'ok';
const api = {
  echo: (a: number, b: string) => ({ a, b }),
  fail: (): never => {
    throw new Error('handler broke');
  },
  slow: async (ms: number) => {
    await sleep(ms);
    return ms;
  },
};
export type TestChildApi = typeof api;

await serveParent({
  api,
  async start() {
    if (mode === 'fail') throw new Error('cannot start: port taken');
    return { pid: process.pid, mode };
  },
  ...(mode === 'hang-stop' ? { stop: () => new Promise<void>(() => {}) } : {}),
});
