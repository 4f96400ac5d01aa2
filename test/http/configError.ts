import { expect } from 'vitest';
import { SluiceConfigError } from '../../src/index.js';

/** The SluiceConfigError `run` throws: its option path and whole message. Fails the test if it throws none. */
export function configError(run: () => unknown): { option: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SluiceConfigError);
    return { option: (error as SluiceConfigError).option, message: (error as Error).message };
  }
  throw new Error('expected a SluiceConfigError, nothing was thrown');
}
