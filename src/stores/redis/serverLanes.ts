import { BatchLane } from './batcher.js';
import type { ScriptClient } from './redisClientAdapter.js';

/**
 * The batch lane of each Redis server: one lane for a single Redis; for a Cluster one per master (by
 * `host:port`), found from a slot through the client's slot table as it is now, so calls follow a moved slot.
 */
export class ServerLanes<Call> {
  /** The only lane of a single Redis. */
  private readonly soleLane = new BatchLane<Call>('');
  private readonly lanes = new Map<string, BatchLane<Call>>();
  /** The lane last used for each slot. */
  private readonly laneBySlot: (BatchLane<Call> | undefined)[] = [];

  constructor(private readonly scripts: ScriptClient) {}

  /** The lane of the server that serves `slot` (any slot on a single Redis). */
  laneFor(slot: number): BatchLane<Call> {
    // Stryker disable next-line ConditionalExpression: `false` is an equivalent fast path (a single Redis's slotMaster is '' for every slot, and the map gives that one lane); `true`, disabled with it, fails test/redisClusterFaults.test.ts (a lane per master)
    if (!this.scripts.isCluster) return this.soleLane;
    const node = this.scripts.slotMaster(slot);
    let lane = this.laneBySlot[slot];
    if (lane?.node === node) return lane;
    lane = this.lanes.get(node);
    if (lane === undefined) {
      lane = new BatchLane<Call>(node);
      this.lanes.set(node, lane);
    }
    this.laneBySlot[slot] = lane;
    return lane;
  }
}
