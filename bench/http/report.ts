/** The `http` section of bench/RESULTS.md, and its target checks, from a bench:http result. */
import { versionList } from '../lib/environment.js';
import { fixed, markdownTable, signed, statRange } from '../lib/markdown.js';
import type { Stat } from '../lib/stats.js';
import type { GroupResult, HttpBenchResult } from './bench.js';
import { SCENARIOS } from './contenders.js';

/**
 * The targets: sluice's added CPU per request at most `ratio` times the peer's in the same run (same framework,
 * store and scenario), headers included. Only on Fastify: on Express the run-to-run noise of a whole server's CPU
 * is far above a limiter's share, which `npm run bench:http:inprocess` measures instead.
 */
export const PEER_TARGETS: Readonly<Record<string, { readonly peer: string; readonly ratio: number }>> = {
  'fastify-sluice-memory': { peer: 'fastify-frl-memory', ratio: 1 },
  // The same comparison with the same headers as the peer's default (X-RateLimit-Limit, -Remaining, -Reset).
  'fastify-sluice-memory-legacy': { peer: 'fastify-frl-memory', ratio: 1 },
  'fastify-sluice-redis': { peer: 'fastify-frl-redis', ratio: 0.5 },
};

/** The floor limiter (bench/lib/floorLimiter.ts) beside each judged contender: what any limiter sending the same headers adds. */
const FLOORS: Readonly<Record<string, string>> = {
  'fastify-sluice-memory': 'fastify-floor-memory',
};

export interface TargetCheck {
  readonly framework: string;
  readonly scenario: string;
  readonly contender: string;
  readonly addedUs: Stat;
  readonly targetUs: number;
  /** The peer the target is relative to (its added µs times the ratio), when there is one and it ran. */
  readonly peer: string | undefined;
  readonly met: boolean;
  /** |A/A added µs| in the same group: differences smaller than this are noise. */
  readonly noiseUs: number;
  /** The floor limiter's added µs (median) in the same group, when it ran. */
  readonly floorUs: number | undefined;
}

function aaNoise(group: GroupResult): { addedUs: number; ratio: number } {
  const aa = group.contenders.find((c) => c.contender.aaCheck)?.figures;
  return aa
    ? { addedUs: Math.abs(aa.addedCpuUs.median), ratio: Math.abs(aa.reqPerSecRatio.median - 1) }
    : { addedUs: Number.NaN, ratio: Number.NaN };
}

export function targetChecks(result: HttpBenchResult): TargetCheck[] {
  return result.groups.flatMap((group) =>
    group.contenders
      .filter(({ contender }) => PEER_TARGETS[contender.id] !== undefined)
      .flatMap(({ contender, figures }) => {
        const relative = PEER_TARGETS[contender.id] as { readonly peer: string; readonly ratio: number };
        const peer = group.contenders.find((other) => other.contender.id === relative.peer);
        if (peer === undefined) return [];
        const targetUs = relative.ratio * peer.figures.addedCpuUs.median;
        const check: TargetCheck = {
          framework: group.framework,
          scenario: group.scenario,
          contender: contender.id,
          addedUs: figures.addedCpuUs,
          targetUs,
          peer: `${relative.ratio}× ${relative.peer}`,
          met: figures.addedCpuUs.median <= targetUs,
          noiseUs: aaNoise(group).addedUs,
          floorUs: group.contenders.find((other) => other.contender.id === FLOORS[contender.id])?.figures.addedCpuUs.median,
        };
        return [check];
      }),
  );
}

function groupTable(group: GroupResult): string {
  const rows = group.contenders.map(({ contender, figures }) => {
    const isBase = contender.baseline === true;
    const flags = figures.non2xx + figures.errors > 0 ? ` ⚠ ${figures.non2xx} non-2xx, ${figures.errors} errors` : '';
    return [
      `${contender.label}${flags}`,
      fixed(figures.reqPerSec.median, 0),
      isBase ? '1' : statRange(figures.reqPerSecRatio, 2),
      fixed(figures.p99Ms.median, 0),
      statRange(figures.cpuUsPerRequest, 1),
      isBase ? '0' : statRange(figures.addedCpuUs, 1, signed),
      isBase ? '1' : fixed(figures.cpuRatio.median, 3),
    ];
  });
  return markdownTable(['Contender', 'req/s', 'req/s vs bare', 'p99 ms', 'server CPU µs/req', 'CPU µs added vs bare', 'CPU vs bare'], rows);
}

export function httpResultsMarkdown(result: HttpBenchResult, command: string): string {
  const { options } = result;
  const lines: string[] = [
    '## HTTP overhead (`npm run bench:http`)',
    '',
    `Command: \`${command}\` · ${result.startedAt} · Node ${result.node} · ${result.cores} cores (${result.cpuModel}) · ` +
      `redis-server ${result.redisVersion ?? 'not installed'} · ${result.seconds.toFixed(0)} s`,
    '',
    `Each server runs in its own process; autocannon (${options.connections} connections) loads one at a time for ` +
      `${options.sliceMs} ms measured slices (each after ${options.preloadMs} ms of unmeasured load on the same connections), in rotation, ` +
      `${options.rounds} round(s) after a ${options.warmupMs} ms warm-up per server. ` +
      'Each slice of a contender is paired with a slice of the bare server run right before or after it (the order alternates ' +
      'by round). Figures are medians over rounds (min … max in brackets); ratios and added µs are per pair. Server CPU µs per request is `process.cpuUsage()` of the server process over the slice divided by the ' +
      "responses served (the steadier figure on two shared cores); Redis' own CPU is not included. The A/A row is a second bare " +
      'server: its distance from the bare one is the noise floor of the run. The floor row is the same app with an empty ' +
      'middleware (Express) or an empty `onRequest` hook (Fastify): what the framework charges any limiter before it does anything.',
    '',
    `Peers: ${versionList(result.versions)}.`,
  ];
  if (result.skipped.length > 0) {
    lines.push('', `Not run: ${result.skipped.map((s) => `${s.id} (${s.reason})`).join('; ')}.`);
  }
  for (const scenario of SCENARIOS) {
    const groups = result.groups.filter((group) => group.scenario === scenario.id);
    if (groups.length === 0) continue;
    lines.push('', `### ${scenario.title}`, '', scenario.description);
    for (const group of groups) {
      const noise = aaNoise(group);
      lines.push(
        '',
        `**${group.framework === 'express' ? 'Express' : 'Fastify'}** (A/A noise floor: ${fixed(noise.addedUs, 1)} µs/req, ` +
          `req/s ratio ${fixed(noise.ratio * 100, 1)}% from 1.0)`,
        '',
        groupTable(group),
      );
    }
  }
  const checks = targetChecks(result);
  if (checks.length > 0) {
    lines.push('', '### Targets: CPU µs sluice adds per request over the bare framework', '');
    lines.push(
      markdownTable(
        ['Contender', 'Scenario', 'Added µs/req', 'Target', 'Met', 'A/A noise µs', 'Floor limiter µs'],
        checks.map((check) => [
          check.contender,
          check.scenario,
          statRange(check.addedUs, 1, signed),
          `≤ ${fixed(check.targetUs, 1)}${check.peer ? ` (${check.peer})` : ''}`,
          check.met ? 'yes' : 'no',
          fixed(check.noiseUs, 1),
          check.floorUs === undefined ? '–' : signed(check.floorUs, 1),
        ]),
      ),
    );
  }
  return lines.join('\n');
}
