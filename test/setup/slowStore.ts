import { MemoryStore, type Policy, type Store, type StoreResult } from '../../src/index.js';

/**
 * A store whose backend answers late, as a distant or overloaded Redis does: a MemoryStore's decision,
 * delivered `delayMs` later. Not a mock: the decisions are real, only their arrival is slow.
 */
export class SlowStore implements Store {
  readonly synchronous = false;
  private readonly inner = new MemoryStore({ sweepInterval: false });

  constructor(readonly delayMs: number) {}

  update(policy: Policy, key: string, cost: number, slackMs: number, now: number): Promise<StoreResult> {
    const result = this.inner.update(policy, key, cost, slackMs, now);
    // The memory store may reuse its result object: copy it before handing it out later.
    const copy: StoreResult = { allowed: result.allowed, now: result.now, aheads: Array.from(result.aheads) };
    return new Promise((resolve) => setTimeout(() => resolve(copy), this.delayMs));
  }

  reset(policy: Policy, key: string): Promise<void> {
    this.inner.reset(policy, key);
    return new Promise((resolve) => setTimeout(resolve, this.delayMs));
  }

  close(): void {
    this.inner.close();
  }
}
