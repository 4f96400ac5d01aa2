/**
 * A Redis Cluster of one shard with a replica: a master serving all 16384 slots and a replica of it, on free
 * loopback ports, started and stopped by PID. For tests of which node a Cluster client sends a command to when it
 * may read from replicas.
 */
import { Redis } from 'ioredis';
import { clusterNodeArgs, freePort, type RedisServer, startRedisServer } from './redisServers.js';

export interface ReplicatedShard {
  master: RedisServer;
  replica: RedisServer;
  /** Stops both servers (SIGKILL). */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `ready` every 50 ms until it resolves true, or throws `what` after 20 s. */
async function waitFor(what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what} within 20 s`);
    await sleep(50);
  }
}

export async function startReplicatedShard(): Promise<ReplicatedShard> {
  const started: RedisServer[] = [];
  const admins: Redis[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      // A short node timeout: the nodes gossip more often, so the master learns of its replica sooner; and no
      // delay before the replica's first full sync (the default waits 5 s for more replicas to share it).
      const args = clusterNodeArgs(port, ['--cluster-node-timeout', '500', '--repl-diskless-sync-delay', '0']);
      started.push(await startRedisServer({ port, args }));
    }
    const [master, replica] = started as [RedisServer, RedisServer];
    const masterAdmin = new Redis({ host: '127.0.0.1', port: master.port });
    const replicaAdmin = new Redis({ host: '127.0.0.1', port: replica.port });
    admins.push(masterAdmin, replicaAdmin);
    await masterAdmin.call('CLUSTER', 'ADDSLOTS', ...Array.from({ length: 16384 }, (_, slot) => String(slot)));
    const masterId = String(await masterAdmin.call('CLUSTER', 'MYID'));
    await replicaAdmin.call('CLUSTER', 'MEET', '127.0.0.1', String(master.port));
    await waitFor('the replica did not learn the master', async () =>
      String(await replicaAdmin.call('CLUSTER', 'NODES')).includes(masterId),
    );
    await replicaAdmin.call('CLUSTER', 'REPLICATE', masterId);
    await waitFor('the shard did not become ready', async () => {
      const states = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO')));
      const replication = await replicaAdmin.info('replication');
      // The master's slot map names the replica (what a client discovers) once gossip told it.
      const slots = JSON.stringify(await masterAdmin.call('CLUSTER', 'SLOTS'));
      return (
        states.every((info) => String(info).includes('cluster_state:ok')) &&
        replication.includes('master_link_status:up') &&
        slots.includes(String(replica.port))
      );
    });
    return { master, replica, stop: () => Promise.all(started.map((s) => s.stop(true))).then(() => undefined) };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop(true)));
    throw error;
  } finally {
    for (const admin of admins) admin.disconnect();
  }
}
