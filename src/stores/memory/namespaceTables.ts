import { keyBytes } from '../../core/keyDigest.js';
import { namespaceConflict, sameLimits } from '../../core/keyNamespace.js';
import type { Policy } from '../../core/store.js';
import { entryBytes, KeyTable } from './keyTable.js';

/**
 * The key tables of a store, one per namespace (prefix and limits fingerprint), with the last one used
 * remembered so that a limiter's calls find theirs without a lookup.
 */
export class NamespaceTables {
  readonly byNamespace = new Map<string, KeyTable>();
  /** The policy of the last call, and its table: compare `lastPolicy` before calling `tableFor`. */
  lastPolicy: Policy | undefined;
  lastTable: KeyTable | undefined;

  constructor(
    private readonly maxKeys: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * The table of `policy.namespace`, made at first use. Throws a SluiceConfigError if other limits hold
   * the namespace (only when their fingerprints collide: other limits get another namespace).
   */
  tableFor(policy: Policy): KeyTable {
    let table = this.byNamespace.get(policy.namespace);
    if (table === undefined) {
      const stride = policy.bands.length;
      // No more slots than maxBytes can pay for (at the fewest bytes a key counts), so the slabs stay in budget too.
      const maxSlots = Math.min(this.maxKeys, Math.ceil(this.maxBytes / (entryBytes(stride) + keyBytes('k'))));
      table = new KeyTable(stride, policy, maxSlots);
      this.byNamespace.set(policy.namespace, table);
    } else if (!sameLimits(table.policy, policy)) {
      throw namespaceConflict(table.policy, policy);
    }
    this.lastPolicy = policy;
    this.lastTable = table;
    return table;
  }

  /** The table of `namespace` if it has one. */
  get(namespace: string): KeyTable | undefined {
    return this.byNamespace.get(namespace);
  }

  /** A table other than `preferred` that holds a key, when `preferred` holds none (eviction). */
  withKeys(preferred: KeyTable): KeyTable {
    if (preferred.slots.size > 0) return preferred;
    let table = preferred;
    for (const other of this.byNamespace.values()) if (other.slots.size > 0) table = other;
    return table;
  }

  clear(): void {
    this.byNamespace.clear();
    this.lastPolicy = undefined;
    this.lastTable = undefined;
  }
}
