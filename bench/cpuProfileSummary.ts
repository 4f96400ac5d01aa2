/**
 * Where a server's CPU went, from a `node --cpu-prof` profile (`npm run bench:http -- --profile <id>`):
 *
 *   node --import tsx bench/cpuProfileSummary.ts <file.cpuprofile> [--requests N] [--top 25]
 *
 * Prints the functions with the most self time, and the inclusive time of sluice's own code
 * (adapters/ and src/): per sample, the outermost sluice frame on the stack gets the sample. With
 * `--requests` (responses served while profiled) times are also given in µs per request.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const OWN_CODE = /\/(adapters|src)\/[^/]+(\/[^/]+)?\.ts$/;

export interface FrameTime {
  readonly frame: string;
  readonly micros: number;
}

export interface ProfileSummary {
  readonly totalMicros: number;
  readonly self: readonly FrameTime[];
  /** Inclusive time of sluice's code, by outermost sluice frame. */
  readonly ownInclusive: readonly FrameTime[];
  readonly ownMicros: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\/.*?\/(node_modules\/|adapters\/|src\/|bench\/)/, '$1');
  return `${functionName || '(anonymous)'} ${file || '(native)'}${url ? `:${lineNumber + 1}` : ''}`;
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<string, number>();
  const own = new Map<string, number>();
  let total = 0;
  let ownTotal = 0;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; attributing it to sample i is the usual convention.
    const micros = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    total += micros;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + micros);
    let outermost: ProfileNode | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame && OWN_CODE.test(frame.callFrame.url)) outermost = frame;
    }
    if (outermost) {
      ownTotal += micros;
      const ownName = frameName(outermost);
      own.set(ownName, (own.get(ownName) ?? 0) + micros);
    }
  });
  const sorted = (map: Map<string, number>) => [...map].map(([frame, micros]) => ({ frame, micros })).sort((a, b) => b.micros - a.micros);
  return { totalMicros: total, self: sorted(self), ownInclusive: sorted(own), ownMicros: ownTotal };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { requests: { type: 'string' }, top: { type: 'string', default: '25' } },
  });
  const file = positionals[0];
  if (file === undefined) throw new Error('usage: cpuProfileSummary.ts <file.cpuprofile> [--requests N] [--top 25]');
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const requests = values.requests === undefined ? undefined : Number(values.requests);
  const top = Number(values.top);
  const show = (micros: number) =>
    `${((micros / summary.totalMicros) * 100).toFixed(2).padStart(6)}%${requests ? `  ${(micros / requests).toFixed(2).padStart(7)} µs/req` : ''}`;
  console.log(`profiled ${(summary.totalMicros / 1e6).toFixed(2)} s of samples\n\nself time:`);
  for (const { frame, micros } of summary.self.slice(0, top)) console.log(`  ${show(micros)}  ${frame}`);
  console.log(`\nsluice code (adapters/, src/), inclusive, by outermost frame: ${show(summary.ownMicros)}`);
  for (const { frame, micros } of summary.ownInclusive.slice(0, top)) console.log(`  ${show(micros)}  ${frame}`);
}

main();
