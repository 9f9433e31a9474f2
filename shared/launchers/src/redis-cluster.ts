import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { redisBinary } from './binaries';
import { freeClusterPort, isPortFree } from './free-port';
import { pollUntil } from './poll-until';
import { type RedisServer, startRedisServer } from './redis-server';

const run = promisify(execFile);

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Masters; the 16384 slots are split evenly between them. At least 3. @default 3 */
  masters?: number;
  /** Replicas of each master (`redis-cli --cluster create --cluster-replicas`). @default 0 */
  replicasPerMaster?: number;
  /**
   * Port of the first node, a master (its bus port, +10000, must be free too). The others get free port
   * pairs. @default a free port pair
   */
  firstPort?: number;
  /**
   * An append-only file per node (fsync every second, in the cluster's temporary folder), so a node restarted
   * after a crash comes back with its data instead of as an empty master. @default false
   */
  appendOnly?: boolean;
  /** `cluster-node-timeout`: how long a master may be unreachable before its replica takes over. @default 2000 */
  nodeTimeoutMs?: number;
  /**
   * Ports the other nodes (and their bus ports) must not take although they are free now: ports a caller
   * has promised to something that binds later. @default none
   */
  avoidPorts?: Iterable<number>;
}

/** A running Redis Cluster on loopback. */
export interface RedisCluster {
  /** Every node, masters first (in the order of the slots they were given), then the replicas. */
  readonly nodes: readonly RedisClusterNode[];
  /**
   * The nodes' processes, in the order of `nodes`: each can be stopped and started again on its port and
   * folder (it rejoins the cluster from its `nodes.conf`), e.g. by a supervisor after a crash.
   */
  readonly servers: readonly RedisServer[];
  /** Stops every node and removes the cluster's folder. */
  stop(): Promise<void>;
}

/**
 * Starts a Redis Cluster of cluster-enabled redis-servers joined with `redis-cli --cluster create` (~3 s),
 * ready once every node reports `cluster_state:ok` and every replica is in sync with its master. A number
 * is the count of masters without replicas (the libraries' tests run `startRedisCluster(3)`).
 */
export async function startRedisCluster(options: number | RedisClusterOptions = 3): Promise<RedisCluster> {
  const o = typeof options === 'number' ? { masters: options } : options;
  const masters = o.masters ?? 3;
  const replicas = o.replicasPerMaster ?? 0;
  if (!Number.isInteger(masters) || masters < 3)
    throw new RangeError('a Redis Cluster needs at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new RangeError('replicasPerMaster must be 0 or more');
  const cli = redisBinary('redis-cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-cluster-'));
  const ports: number[] = [];
  const taken = new Set<number>(o.avoidPorts ?? []);
  if (o.firstPort !== undefined) {
    for (const port of [o.firstPort, o.firstPort + 10000]) {
      if (!(await isPortFree(port))) throw new Error(`cluster node port ${port} is in use`);
    }
    ports.push(o.firstPort);
    taken.add(o.firstPort);
    taken.add(o.firstPort + 10000);
  }
  while (ports.length < masters * (1 + replicas)) {
    const port = await freeClusterPort(taken);
    taken.add(port);
    taken.add(port + 10000);
    ports.push(port);
  }
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled(
      ports.map((port) => {
        const nodeDir = path.join(dir, String(port));
        fs.mkdirSync(nodeDir);
        return startRedisServer({
          port,
          dataDir: nodeDir,
          appendOnly: o.appendOnly ?? false,
          enableDebug: true,
          extraArgs: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            String(o.nodeTimeoutMs ?? 2000),
          ],
        });
      }),
    );
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    // redis-cli makes the first `masters` addresses the masters (in this order) and the rest their replicas.
    await run(
      cli,
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 30000 },
    );
    await pollUntil(async () => ((await Promise.all(ports.map(ready))).every(Boolean) ? true : undefined), {
      what: 'every cluster node ok and every replica in sync',
      timeoutMs: 30000,
      intervalMs: 100,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), servers, stop };
}

/** The node reports `cluster_state:ok` and, when it is a replica, its link to its master is up. */
async function ready(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    if (!info.includes('cluster_state:ok')) return false;
    const replication = await client.info('replication');
    return !replication.includes('role:slave') || replication.includes('master_link_status:up');
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
