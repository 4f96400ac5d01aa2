import { SluiceConfigError, SluiceStoreError } from '../../core/errors.js';
import { type AutoPipeliningOptions, autoPipelines, withoutAutoPipelining } from './ioredisAutoPipelineBypass.js';

/**
 * What RedisStore uses of an ioredis client; ioredis' (5 or 6) `Redis` and `Cluster` fit it. Spelled out, not
 * imported, so sluice's declarations type-check without ioredis installed (an optional peer).
 */
export interface RedisStoreClient extends AutoPipeliningOptions {
  /** The connection state, e.g. `'ready'` or `'end'`. */
  readonly status: string;
  /** True for a Cluster client. */
  readonly isCluster?: boolean;
  /** A Cluster client's map of hash slots to nodes (`host:port`, the master first). */
  readonly slots?: readonly (readonly string[] | undefined)[];
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
}

/**
 * What RedisStore uses of a node-redis (`redis` 4, 5 or 6) client made by `createClient()` and `connect()`ed.
 * Its documented `isOpen` / `isReady` flags tell it apart from ioredis.
 */
export interface NodeRedisClient {
  /** True once `connect()` was called, until the client is closed. */
  readonly isOpen: boolean;
  /** True while connected and ready for commands (false while reconnecting). */
  readonly isReady: boolean;
  /** Sends one command, given as its words: `['EVALSHA', sha, '1', key, ...]`. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** What RedisStore uses of a node-redis Cluster client made by `createCluster()` and `connect()`ed. */
export interface NodeRedisClusterClient {
  readonly isOpen: boolean;
  /** node-redis 6 only: false while the cluster reconnects. */
  readonly isReady?: boolean;
  /** Sends one command to the master of `firstKey`'s slot, following MOVED and ASK redirections. */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** The master that serves `slot` (0 to 16383). */
  getSlotMaster(slot: number): { readonly host?: string; readonly port?: number };
}

/**
 * What RedisStore uses of a node-redis (5 or 6) Sentinel client made by `createSentinel()` and `connect()`ed: its
 * commands go to the primary the sentinels name, and follow a failover.
 */
export interface NodeRedisSentinelClient {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  /** Sends one command; `isReadonly` false sends it to the primary. */
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** The sentinel the client talks to (what tells a Sentinel client apart). */
  getSentinelNode(): unknown;
}

/** Any client RedisStore accepts. */
export type RedisClientLike = RedisStoreClient | NodeRedisClient | NodeRedisClusterClient | NodeRedisSentinelClient;

/**
 * The one face RedisStore sees of its client, whichever library made it: scripts run with string arguments,
 * error replies reject (NOSCRIPT's message starts with `NOSCRIPT`), and the connection state says when a
 * command would only wait in the client's offline queue.
 */
export interface ScriptClient {
  readonly isCluster: boolean;
  /** Why a command sent now would wait for a reconnection (a sentence for a SluiceStoreError), or undefined. */
  notConnected(): string | undefined;
  /** The master (`host:port`) that serves `slot` as the client knows it now; `''` when unknown or not a Cluster. */
  slotMaster(slot: number): string;
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  del(keys: readonly string[]): Promise<unknown>;
}

/** ioredis connection states in which a command would only wait in its offline queue. */
const IOREDIS_DISCONNECTED = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

const EXPECTED_CLIENT =
  'must be a connected Redis client: ioredis (new Redis() or new Redis.Cluster([...])) or node-redis (await createClient().connect(), createCluster or createSentinel)';

type Probe = Record<string, unknown>;

/** Throws a SluiceConfigError naming `client` unless it is an ioredis or a connected node-redis client. */
export function adaptClient(client: unknown): ScriptClient {
  if (client === null || typeof client !== 'object') throw new SluiceConfigError('client', client, EXPECTED_CLIENT);
  const probe = client as Probe;
  if (typeof probe.evalsha === 'function' && typeof probe.status === 'string') return ioredisAdapter(client as RedisStoreClient);
  if (typeof probe.isOpen === 'boolean' && typeof probe.sendCommand === 'function') {
    if (!probe.isOpen) {
      throw new SluiceConfigError(
        'client',
        client,
        'must be a connected node-redis client: call `await client.connect()` first (and not `quit()` or `close()` it while sluice uses it)',
      );
    }
    const options = probe.options as Probe | undefined;
    if (options?.legacyMode === true) {
      // node-redis 4's legacy mode turns the methods into callback style; its promise API lives on `client.v4`.
      const modern = probe.v4 as Probe | undefined;
      if (modern === undefined || typeof modern.sendCommand !== 'function') {
        throw new SluiceConfigError(
          'client',
          client,
          'is a node-redis client in legacy mode without `client.v4`; pass a client without legacyMode',
        );
      }
      return nodeRedisAdapter(client as NodeRedisClient, (args) =>
        (modern.sendCommand as NodeRedisClient['sendCommand']).call(modern, args),
      );
    }
    if (typeof probe.getSlotMaster === 'function') return nodeRedisClusterAdapter(client as NodeRedisClusterClient);
    if (typeof probe.getSentinelNode === 'function') {
      const sentinel = client as NodeRedisSentinelClient;
      return nodeRedisAdapter(sentinel, (args) => sentinel.sendCommand(false, args));
    }
    const target = client as NodeRedisClient;
    return nodeRedisAdapter(target, (args) => target.sendCommand(args));
  }
  if (typeof probe.sendCommand === 'function' && typeof probe.multi === 'function' && !('isOpen' in probe)) {
    throw new SluiceConfigError('client', client, "looks like node-redis' legacy interface (client.legacy()); pass the client itself");
  }
  throw new SluiceConfigError('client', client, EXPECTED_CLIENT);
}

function ioredisAdapter(client: RedisStoreClient): ScriptClient {
  const isCluster = client.isCluster === true;
  return {
    isCluster,
    notConnected() {
      const status = client.status;
      return IOREDIS_DISCONNECTED.has(status) ? `Redis is not connected (ioredis status: ${status})` : undefined;
    },
    slotMaster: (slot) => client.slots?.[slot]?.[0] ?? '',
    ...(autoPipelines(client)
      ? {
          evalsha: (sha, keys, args) => withoutAutoPipelining(client, () => client.evalsha(sha, keys.length, ...keys, ...args)),
          eval: (script, keys, args) => withoutAutoPipelining(client, () => client.eval(script, keys.length, ...keys, ...args)),
        }
      : {
          evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
          eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
        }),
    del: (keys) => client.del(...keys),
  };
}

function nodeRedisNotConnected(client: { readonly isOpen: boolean; readonly isReady?: boolean }): string | undefined {
  // A Cluster client of node-redis 4 and 5 has no isReady: then only a closed client is known not to answer.
  if (client.isReady === true || (client.isReady === undefined && client.isOpen)) return undefined;
  return client.isOpen
    ? 'Redis is not connected (node-redis is connecting or reconnecting)'
    : 'Redis is not connected (node-redis client closed)';
}

/**
 * The script's reply as numbers: it sends integers only, which node-redis hands back as numbers unless a type
 * mapping turns them into strings (`withTypeMapping({ [RESP_TYPES.NUMBER]: String })`).
 */
function plainReply(reply: unknown): unknown {
  if (!Array.isArray(reply)) return reply;
  for (let i = 0; i < reply.length; i++) reply[i] = Number(reply[i]);
  return reply;
}

function nodeRedisAdapter(
  client: { readonly isOpen: boolean; readonly isReady: boolean },
  send: (args: string[]) => Promise<unknown>,
): ScriptClient {
  const script = (command: string, body: string, keys: readonly string[], args: readonly string[]) =>
    send([command, body, String(keys.length), ...keys, ...args]).then(plainReply);
  return {
    isCluster: false,
    notConnected: () => nodeRedisNotConnected(client),
    slotMaster: () => '',
    evalsha: (sha, keys, args) => script('EVALSHA', sha, keys, args),
    eval: (body, keys, args) => script('EVAL', body, keys, args),
    del: (keys) => send(['DEL', ...keys]),
  };
}

function nodeRedisClusterAdapter(client: NodeRedisClusterClient): ScriptClient {
  const script = (command: string, body: string, keys: readonly string[], args: readonly string[]) =>
    client.sendCommand(keys[0], false, [command, body, String(keys.length), ...keys, ...args]).then(plainReply);
  return {
    isCluster: true,
    notConnected: () => nodeRedisNotConnected(client),
    slotMaster(slot) {
      let master: { readonly host?: string; readonly port?: number } | undefined;
      try {
        master = client.getSlotMaster(slot);
      } catch {
        // Slots not (re)discovered yet: one lane for the unknown (''), until they are.
      }
      return master?.host === undefined ? '' : `${master.host}:${master.port}`;
    },
    evalsha: (sha, keys, args) => script('EVALSHA', sha, keys, args),
    eval: (body, keys, args) => script('EVAL', body, keys, args),
    del: (keys) => client.sendCommand(keys[0], false, ['DEL', ...keys]),
  };
}

/** A SluiceStoreError when `client` would only queue a command now. */
export function connectionError(client: ScriptClient): SluiceStoreError | undefined {
  const problem = client.notConnected();
  return problem === undefined ? undefined : new SluiceStoreError(`sluice: ${problem}`);
}
