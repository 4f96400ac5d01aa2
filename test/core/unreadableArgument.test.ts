import { describe, expect, it } from 'vitest';
import { SluiceArgumentError, SluiceConfigError } from '../../src/core/errors.js';
import { readArgument } from '../../src/core/unreadableArgument.js';

/** What `readArgument` throws when `read` throws `thrown`. */
function failure(thrown: unknown): unknown {
  try {
    readArgument('options', 'the value', () => {
      throw thrown;
    });
  } catch (error) {
    return error;
  }
  throw new Error('readArgument did not throw');
}

describe('readArgument', () => {
  it('returns what read returns', () => {
    expect(readArgument('options', {}, () => 42)).toBe(42);
  });

  it('lets a SluiceError through unchanged', () => {
    const own = new SluiceConfigError('maxWaitMs', -1, 'must be at least 0');
    expect(failure(own)).toBe(own);
  });

  it('turns anything else into a SluiceArgumentError naming the argument, with the reason', () => {
    const error = failure(new TypeError('trap failed'));
    expect(error).toBeInstanceOf(SluiceArgumentError);
    expect((error as SluiceArgumentError).argument).toBe('options');
    expect((error as Error).message).toBe('sluice: argument `options` cannot be read (trap failed); got "the value"');
    expect((failure('a thrown string') as Error).message).toContain('cannot be read (a thrown string)');
  });

  it('quotes a reason of up to 80 characters whole and cuts a longer one to 80', () => {
    const reason = (thrown: unknown) => /cannot be read \((.*)\); got/.exec((failure(thrown) as Error).message)?.[1];
    expect(reason(new Error('r'.repeat(80)))).toBe('r'.repeat(80));
    expect(reason(new Error('r'.repeat(81)))).toBe(`${'r'.repeat(79)}…`);
    expect(reason('s'.repeat(10_000))).toBe(`${'s'.repeat(79)}…`);
  });

  it('reports a thrown value that cannot even be inspected (a revoked Proxy) as a SluiceArgumentError', () => {
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    const error = failure(revoked);
    expect(error).toBeInstanceOf(SluiceArgumentError);
    expect((error as Error).message).toBe('sluice: argument `options` cannot be read (its inspection threw); got "the value"');
  });
});
