/**
 * Keeps test output quiet, and warnings asserted (a setup file of every test file). Every process warning
 * (sluice's SluiceWarnings, Node's TimeoutOverflowWarning, deprecations) is captured instead of printed,
 * and a test that leaves one behind fails with it. A test that expects a warning takes it with
 * `takeWarnings()` and asserts it; a test that does not must not trigger it (e.g. pass `warnings: false`
 * where sluice's warning is beside the point). sluice's once-per-process warnings are re-armed before
 * each test, so whether a test sees one does not depend on the tests that ran before it.
 */
import { afterAll, afterEach, beforeEach } from 'vitest';
import { resetWarnings } from '../../src/http/warnings.js';

export interface CapturedWarning {
  /** The warning's type: 'SluiceWarning', 'TimeoutOverflowWarning', 'DeprecationWarning'... */
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

type WarningOptions = { type?: string; code?: string };

const captured: CapturedWarning[] = [];
const emitWarning = process.emitWarning;

/** process.emitWarning's overloads: (warning, type?, code?, ctor?) and (warning, options?). */
function capture(warning: string | Error, typeOrOptions?: string | WarningOptions, code?: string): void {
  const options: WarningOptions = typeof typeOrOptions === 'string' ? { type: typeOrOptions, code } : (typeOrOptions ?? {});
  if (typeof warning === 'string') {
    captured.push({ name: options.type ?? 'Warning', code: options.code, message: warning });
  } else {
    captured.push({ name: warning.name, code: (warning as { code?: string }).code, message: warning.message });
  }
}
process.emitWarning = capture as typeof process.emitWarning;

/** The warnings emitted since the test began (or since the last call), which the test thereby expects. */
export function takeWarnings(): CapturedWarning[] {
  return captured.splice(0);
}

function failOnLeftovers(when: string): void {
  const left = captured.splice(0);
  if (left.length === 0) return;
  const list = left.map((w) => `  ${w.name}${w.code === undefined ? '' : ` [${w.code}]`}: ${w.message.slice(0, 160)}`).join('\n');
  throw new Error(
    `${left.length} process warning(s) ${when}, not taken by a test:\n${list}\n` +
      'A test that expects a warning asserts it with takeWarnings() (test/setup/warningGuard.ts); otherwise avoid it, e.g. with warnings: false.',
  );
}

beforeEach(() => {
  resetWarnings();
  failOnLeftovers('emitted between tests (after the previous test had ended)');
});

afterEach(() => {
  failOnLeftovers('emitted during this test');
});

afterAll(() => {
  try {
    failOnLeftovers('emitted after the last test of this file');
  } finally {
    process.emitWarning = emitWarning;
  }
});
