import type { Store, StoreResult } from '../../src/index.js';

export type FailureMode = 'reject' | 'hang' | 'throw';

/**
 * A store that fails the way a networked store does: its calls reject, never answer, or throw at once.
 * Not a mock of any real store: it is a store whose backend is down. `throw` mode is synchronous by
 * default (a store that fails before it could return a promise).
 */
export class FailingStore implements Store {
  readonly synchronous: boolean;
  private readonly message: string;

  constructor(
    readonly mode: FailureMode,
    options: { synchronous?: boolean; message?: string } = {},
  ) {
    this.synchronous = options.synchronous ?? mode === 'throw';
    this.message = options.message ?? 'store down';
  }

  update(): StoreResult | Promise<StoreResult> {
    return this.fail();
  }

  reset(): void | Promise<void> {
    return this.fail();
  }

  private fail(): never | Promise<never> {
    if (this.mode === 'throw') throw new Error(this.message);
    return this.mode === 'reject' ? Promise.reject(new Error(this.message)) : new Promise<never>(() => {});
  }
}
