import { describe, expect, it } from 'vitest';
import { warnOnce } from '../src/http/warnings.js';
import { takeWarnings } from './setup/warningGuard.js';

describe('the warning guard (test/setup/warningGuard.ts)', () => {
  it('captures every shape of process.emitWarning, in order, and hands each out once', () => {
    process.emitWarning('plain');
    process.emitWarning('typed', 'DeprecationWarning', 'DEP_SLUICE_TEST');
    process.emitWarning('with options', { type: 'ExperimentalWarning', code: 'EXP_TEST' });
    const error = Object.assign(new Error('an error object'), { name: 'CustomWarning', code: 'CUSTOM' });
    process.emitWarning(error);
    expect(takeWarnings()).toEqual([
      { name: 'Warning', code: undefined, message: 'plain' },
      { name: 'DeprecationWarning', code: 'DEP_SLUICE_TEST', message: 'typed' },
      { name: 'ExperimentalWarning', code: 'EXP_TEST', message: 'with options' },
      { name: 'CustomWarning', code: 'CUSTOM', message: 'an error object' },
    ]);
    expect(takeWarnings()).toEqual([]);
  });

  it('captures a timer that overflows, as Node reports it', () => {
    clearTimeout(setTimeout(() => {}, 2 ** 31));
    expect(takeWarnings().map((w) => w.name)).toEqual(['TimeoutOverflowWarning']);
  });

  // Two tests in a row: the second sees the warning only if the guard re-armed the once-per-process flag.
  for (const round of [1, 2]) {
    it(`re-arms sluice's once-per-process warnings before each test (${round})`, () => {
      warnOnce('SLUICE_DOUBLE_COUNT');
      warnOnce('SLUICE_DOUBLE_COUNT');
      expect(takeWarnings().map((w) => [w.name, w.code])).toEqual([['SluiceWarning', 'SLUICE_DOUBLE_COUNT']]);
    });
  }
});
