/**
 * Where a server's CPU went, from a CPU profile (`npm run bench:http -- --profile <id>`,
 * `npm run bench:http:inprocess -- --profile`):
 *
 *   node --import tsx bench/lib/cpuProfileSummary.ts <file.cpuprofile> [--us-per-request N] [--top 25]
 *
 * Prints the busiest functions (self time), and the time spent in sluice's code on behalf of a request:
 * a sample counts for sluice when, walking up from the leaf, a sluice frame (adapters/, src/) comes
 * before any frame of the framework's continuation (Express' router, Fastify's hook runner and route
 * handling): a middleware calls `next()` and the rest of the request runs on its stack, which is not its
 * cost, while Node's `setHeader` or Express' `req.ip` getter called from sluice is. Percentages are of
 * busy time (idle samples left out); with `--us-per-request` (the server's CPU µs per request from the
 * bench table) they are also turned into µs per request.
 */
import { readFileSync } from 'node:fs';
import { integerOption, parseCommandLine } from './cli.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// sluice's own sources at any depth under adapters/ or src/, never a dependency's.
const OWN_CODE = /^(?!.*\/node_modules\/).*\/(adapters|src)\/.+\.ts$/;
// Frames through which a framework hands the request on to the next hook / middleware / route handler.
const CONTINUATION =
  /node_modules\/(router\/|express\/lib\/(application|router)|fastify\/lib\/(hooks|handleRequest|route|wrapThenable|contentTypeParser|fourOhFour)\.js)/;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(node_modules\/|adapters\/|src\/|bench\/)/, '$1');
  return `${functionName || '(anonymous)'} ${file || '(native)'}${url ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}`;
}

function main(): void {
  const script = 'cpuProfileSummary.ts';
  const { values, positionals } = parseCommandLine(
    { 'us-per-request': { type: 'string' }, top: { type: 'string' } },
    { script, allowPositionals: true },
  );
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: cpuProfileSummary.ts <file.cpuprofile> [--us-per-request N] [--top 25]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const ownByFrame = new Map<string, number>(); // nearest sluice frame
  const ownByLeaf = new Map<string, number>(); // what that time was spent in
  let busy = 0;
  let own = 0;
  const add = (map: Map<string, number>, key: string, micros: number) => map.set(key, (map.get(key) ?? 0) + micros);
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const leaf = byId.get(id);
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') return;
    busy += micros;
    add(self, frameName(leaf), micros);
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined || CONTINUATION.test(frame.callFrame.url)) break;
      if (OWN_CODE.test(frame.callFrame.url)) {
        own += micros;
        add(ownByFrame, frameName(frame), micros);
        add(ownByLeaf, frameName(leaf), micros);
        break;
      }
    }
  });

  const usPerRequest = values['us-per-request'] === undefined ? undefined : Number(values['us-per-request']);
  const top = integerOption(script, 'top', values.top, 25);
  const show = (micros: number) =>
    `${((micros / busy) * 100).toFixed(2).padStart(6)}%${usPerRequest ? `  ${((micros / busy) * usPerRequest).toFixed(2).padStart(6)} µs/req` : ''}`;
  const list = (map: Map<string, number>) => {
    for (const [frame, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${show(micros)}  ${frame}`);
  };
  console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy\n\nself time:`);
  list(self);
  console.log(`\nsluice code on behalf of requests: ${show(own)}\n by nearest sluice frame:`);
  list(ownByFrame);
  console.log(' by leaf (where that time went):');
  list(ownByLeaf);
}

main();
