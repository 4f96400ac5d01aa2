/**
 * bench/lib: the child-process orchestrator starts, questions and stops its children (by PID when they
 * do not go), the command line rejects what it does not know, and the statistics and table cells give
 * "not measured" rather than throwing on an empty sample.
 */
import { describe, expect, it } from 'vitest';
import { ChildServer } from '../bench/lib/childServer.js';
import { integerOption, listOption, parseCommandLine, QUICK_OPTION, shouldWrite, WRITE_OPTIONS } from '../bench/lib/cli.js';
import { fixed, signed, statRange } from '../bench/lib/markdown.js';
import { scriptPath } from '../bench/lib/paths.js';
import { mean, median, quantileOf, stat, trimmedMean, upperQuantile } from '../bench/lib/stats.js';
import type { TestChildApi } from './benchLib.child.js';

const CHILD = scriptPath('./benchLib.child.ts', import.meta.url);
const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const fork = (mode: string, options: { requestTimeoutMs?: number; stopTimeoutMs?: number } = {}) =>
  ChildServer.fork<{ pid: number; mode: string }, TestChildApi>(CHILD, { name: `test child (${mode})`, args: [mode], ...options });

describe('bench child processes', () => {
  it('hands over what the child started, answers requests with their arguments, passes on errors, and stops', async () => {
    const child = await fork('ok');
    expect(child.ready).toEqual({ pid: child.pid, mode: 'ok' });
    expect(await child.request('echo', 7, 'x')).toEqual({ a: 7, b: 'x' });
    await expect(child.request('fail')).rejects.toThrow(/test child \(ok\): handler broke/);
    // Only the child's own handlers answer, not what its api object inherits.
    await expect((child.request as (name: string) => Promise<unknown>)('toString')).rejects.toThrow(/no request "toString"/);
    await child.stop();
    expect(alive(child.pid)).toBe(false);
  }, 30_000);

  it('rejects the fork with the error of a child that fails to start', async () => {
    await expect(fork('fail')).rejects.toThrow(/test child \(fail\) failed to start:\n[\s\S]*cannot start: port taken/);
  }, 30_000);

  it('gives up on a request that gets no answer in time', async () => {
    const child = await fork('ok', { requestTimeoutMs: 100 });
    try {
      await expect(child.request('slow', 2000)).rejects.toThrow(/no answer within 100 ms/);
      expect(await child.request('slow', 1)).toBe(1);
    } finally {
      await child.stop();
    }
  }, 30_000);

  it('kills by PID a child that does not exit when asked', async () => {
    const child = await fork('hang-stop', { stopTimeoutMs: 300 });
    const started = Date.now();
    await child.stop();
    expect(alive(child.pid)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  }, 30_000);
});

describe('bench command line', () => {
  const parse = (args: string[]) =>
    parseCommandLine(
      { ...QUICK_OPTION, ...WRITE_OPTIONS, rounds: { type: 'string' }, json: { type: 'string' } },
      { script: 'bench:x', notInCommand: ['json', 'write', 'no-write'], args },
    );

  it('rejects an unknown option, naming the script', () => {
    expect(() => parse(['--rouns', '3'])).toThrow(/^bench:x: Unknown option '--rouns'/);
  });

  it('gives the command that reproduces the run, without the options that only choose the output', () => {
    const { values, command } = parse(['--rounds=3', '--json', 'out.json', '--quick', '--no-write']);
    expect(values).toMatchObject({ rounds: '3', json: 'out.json', quick: true, 'no-write': true });
    expect(command).toBe('npm run bench:x -- --rounds=3 --quick');
    expect(parse([]).command).toBe('npm run bench:x');
  });

  it('checks integers and lists, naming the option and the value', () => {
    expect(integerOption('bench:x', 'rounds', undefined, 5)).toBe(5);
    expect(integerOption('bench:x', 'warmup', '0', 5, 0)).toBe(0);
    expect(() => integerOption('bench:x', 'rounds', '2.5', 5)).toThrow('bench:x: --rounds must be an integer ≥ 1, got "2.5"');
    expect(() => integerOption('bench:x', 'rounds', '0', 5)).toThrow(/≥ 1, got "0"/);
    expect(listOption('bench:x', 'only', 'a,b', ['a', 'b', 'c'])).toEqual(['a', 'b']);
    expect(listOption('bench:x', 'only', undefined, ['a'])).toBeUndefined();
    expect(() => listOption('bench:x', 'only', 'a,z', ['a', 'b'])).toThrow('bench:x: --only "z" is not one of a, b');
  });

  it('writes RESULTS.md on a full run, not on a quick one, unless told otherwise', () => {
    expect(shouldWrite({ quick: false })).toBe(true);
    expect(shouldWrite({ quick: false, 'no-write': true })).toBe(false);
    expect(shouldWrite({ quick: true })).toBe(false);
    expect(shouldWrite({ quick: true, write: true })).toBe(true);
  });
});

describe('bench statistics and table cells', () => {
  it('gives NaN, shown as "–", for an empty sample instead of throwing', () => {
    expect(median([])).toBeNaN();
    expect(mean([])).toBeNaN();
    expect(upperQuantile([], 0.99)).toBeNaN();
    expect(stat([])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN });
    expect(statRange(stat([]), 1)).toBe('– (– … –)');
    expect(fixed(Number.NaN, 2)).toBe('–');
    expect(signed(Number.NaN, 2)).toBe('–');
  });

  it('formats differences with their sign and a range as median (min … max)', () => {
    expect(signed(1.234, 1)).toBe('+1.2');
    expect(signed(-0.5, 2)).toBe('-0.50');
    expect(statRange({ median: 2, min: -1, max: 3 }, 1, signed)).toBe('+2.0 (-1.0 … +3.0)');
  });

  it('takes the upper quantile at rank ⌊q·n⌋, an observed value', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(upperQuantile(sorted, 0.99)).toBe(100);
    expect(upperQuantile(sorted, 0.5)).toBe(51);
    expect(quantileOf([3, 1, 2], 0.99)).toBe(3);
  });

  it('cuts a share from each end for the trimmed mean', () => {
    expect(trimmedMean([1, 2, 3, 4, 100], 0.2)).toBe(3);
    expect(trimmedMean([1, 2, 3, 4, 100], 0)).toBe(22);
  });

  it('handles a sample too large to spread into Math.min', () => {
    const values = Array.from({ length: 1_000_000 }, (_, i) => i);
    expect(stat(values)).toEqual({ median: 499_999.5, min: 0, max: 999_999 });
  });
});
