import { freeClusterPort, type RedisCluster, startRedisCluster } from '@redwire/launchers';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `CLUSTER NODES` of one node: each node's port, role and (for a replica) its master's port. */
async function topology(port: number): Promise<{ port: number; role: string; masterPort?: number }[]> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
  try {
    const lines = ((await client.call('CLUSTER', 'NODES')) as string).trim().split('\n');
    const byId = new Map(lines.map((line) => [line.split(' ')[0], line.split(' ')] as const));
    return lines.map((line) => {
      const [, address = '', flags = '', master = '-'] = line.split(' ');
      const portOf = (a: string) => Number(a.split('@')[0]?.split(':')[1]);
      const masterAddress = byId.get(master)?.[1];
      return {
        port: portOf(address),
        role: flags.includes('master') ? 'master' : 'replica',
        ...(masterAddress ? { masterPort: portOf(masterAddress) } : {}),
      };
    });
  } finally {
    client.disconnect();
  }
}

describe('startRedisCluster with replicas', () => {
  let cluster: RedisCluster;
  let firstPort: number;
  beforeAll(async () => {
    firstPort = await freeClusterPort();
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, firstPort, appendOnly: true });
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('when 3 masters with 1 replica each are asked for, then 6 nodes run: the first 3 masters (the first on the given port), each with one replica', async () => {
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.servers.map((s) => s.port)).toEqual(cluster.nodes.map((n) => n.port));
    expect(cluster.nodes[0]?.port).toBe(firstPort);
    const nodes = await topology(firstPort);
    const masters = nodes.filter((n) => n.role === 'master').map((n) => n.port);
    expect(masters.sort()).toEqual(
      cluster.nodes
        .slice(0, 3)
        .map((n) => n.port)
        .sort(),
    );
    const replicas = nodes.filter((n) => n.role === 'replica');
    expect(replicas.map((r) => r.masterPort).sort()).toEqual([...masters].sort());
  });

  it('when a key is written through the cluster, then its master’s replica holds it too', async () => {
    const key = 'launchers:{replicated}';
    const client = new Cluster(cluster.nodes.slice(0, 1));
    const seed = new Redis({ port: firstPort, host: '127.0.0.1' });
    let replica: Redis | undefined;
    try {
      await client.set(key, 'yes');
      const slot = Number(await seed.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await seed.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number][]][];
      const [, , master] = ranges.find(([from, to]) => slot >= from && slot <= to) ?? [];
      // From CLUSTER NODES: CLUSTER SLOTS leaves out a replica that has not replicated a byte yet.
      const replicaPort = (await topology(firstPort)).find((n) => n.masterPort === master?.[1])?.port;
      expect(replicaPort).toBeTypeOf('number');
      replica = new Redis({ port: replicaPort as number, host: '127.0.0.1' });
      await replica.call('READONLY');
      const read = replica;
      await expect.poll(() => read.get(key), { timeout: 5000 }).toBe('yes');
    } finally {
      replica?.disconnect();
      seed.disconnect();
      client.disconnect();
    }
  });
});
