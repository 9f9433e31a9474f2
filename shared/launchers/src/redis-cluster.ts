import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { redisBinary } from './binaries';
import { freeClusterPort } from './free-port';
import { type ManagedProcess, spawnManaged, stopProcess, waitUntilUp } from './managed-process';
import { ping } from './redis-server';

const run = promisify(execFile);

export interface RedisClusterNode {
  readonly host: string;
  readonly port: number;
}

/** A running Redis Cluster of masters on loopback, without replicas. */
export interface RedisCluster {
  readonly nodes: readonly RedisClusterNode[];
  stop(): Promise<void>;
}

/** Starts `size` (default 3) cluster-enabled redis-servers and joins them into one cluster (~3 s). */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const binary = redisBinary('redis-server');
  const cli = redisBinary('redis-cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-cluster-'));
  const ports: number[] = [];
  const taken = new Set<number>();
  for (let i = 0; i < size; i++) {
    const port = await freeClusterPort(taken);
    taken.add(port);
    taken.add(port + 10000);
    ports.push(port);
  }
  const procs: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGTERM')));
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const proc = spawnManaged(binary, [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--enable-debug-command',
        'local',
      ]);
      procs.push(proc);
      await waitUntilUp(`cluster node ${port}`, () => ping(port), proc, 30000);
    }
    await run(
      cli,
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      {
        timeout: 30000,
      },
    );
    const first = procs[0];
    if (!first) throw new Error('cluster has no nodes');
    for (const port of ports) {
      await waitUntilUp(`cluster state ok on ${port}`, () => clusterOk(port), first, 15000);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
}

async function clusterOk(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = (await client.call('CLUSTER', 'INFO')) as string;
    return info.includes('cluster_state:ok');
  } finally {
    client.disconnect();
  }
}
