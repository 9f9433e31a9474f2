import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil, type RedisCluster, startRedisCluster } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterMasters,
  forceFailover,
  killMaster,
  measureWaitCost,
  tagServedBy,
  WriteLedger,
  waitForEverySlot,
} from '../src/chaos/cluster/cluster-failover';

// The cluster failover faults on the state cluster's own topology (3 masters, 1 replica each, an AOF per
// node), under a writer that records what the cluster acknowledged. Timings are the machine's: only the
// bound on "every slot answers again" and the invariants that must hold are asserted.

const NODE_TIMEOUT_MS = 2000;
/** Failure detection (node timeout) plus the replica's election, with room for a loaded machine. */
const EVERY_SLOT_BOUND_MS = 10 * NODE_TIMEOUT_MS;

let cluster: RedisCluster;
const addresses = () => cluster.nodes.map((n) => `${n.host}:${n.port}`);

describe('state cluster failover under writes', () => {
  beforeAll(async () => {
    cluster = await startRedisCluster({
      masters: 3,
      replicasPerMaster: 1,
      appendOnly: true,
      nodeTimeoutMs: NODE_TIMEOUT_MS,
    });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('when a master is SIGKILLed, then its replica takes its slots within the bound, the old master rejoins as a replica, and the acknowledged writes lost are counted', async () => {
    const [victim] = await clusterMasters(addresses()[0] as string);
    if (!victim) throw new Error('no master');
    const tag = await tagServedBy(victim);
    const wait = await measureWaitCost(victim, tag, 50);
    expect(wait.waitTimeouts).toBe(0);
    const ledger = new WriteLedger(addresses(), tag);
    try {
      ledger.start();
      await sleep(500);
      const server = cluster.servers[addresses().indexOf(victim.address)];
      if (!server) throw new Error('no server for the victim');
      await killMaster(server);
      const survivors = addresses().filter((a) => a !== victim.address);
      const tookMs = await waitForEverySlot(survivors, EVERY_SLOT_BOUND_MS);
      expect(tookMs).toBeLessThan(EVERY_SLOT_BOUND_MS);
      await server.start();
      await pollUntil(
        async () =>
          (await clusterMasters(survivors[0] as string)).some((m) => m.replicas.includes(victim.address))
            ? true
            : undefined,
        { what: 'the old master rejoined as a replica', timeoutMs: 20_000, intervalMs: 200 },
      );
      await sleep(300);
      await ledger.stop();
      const loss = await ledger.check();
      console.info(JSON.stringify({ fault: 'master-kill', tookMs: Math.round(tookMs), wait, loss }));
      expect(loss.sessionsWritten).toBeGreaterThan(10);
      expect(loss.errors).toBeGreaterThan(0);
      // Loss is possible (asynchronous replication) but bounded by what was in flight at the kill.
      expect(loss.sessionsLost + loss.streamEntriesLost).toBeLessThan(loss.sessionsWritten);
    } finally {
      ledger.close();
    }
  }, 80_000);

  it('when CLUSTER FAILOVER runs on a replica, then it becomes master with every slot answering and no acknowledged write lost', async () => {
    const masters = await clusterMasters(addresses()[0] as string);
    const master = masters.find((m) => m.replicas.length > 0);
    if (!master) throw new Error('no master with a replica');
    const replica = master.replicas[0] as string;
    const ledger = new WriteLedger(addresses(), await tagServedBy(master));
    try {
      ledger.start();
      await sleep(500);
      const failoverAt = performance.now();
      await forceFailover(replica);
      await pollUntil(
        async () =>
          (await clusterMasters(replica)).some(
            (m) => m.address === replica && m.replicas.includes(master.address),
          )
            ? true
            : undefined,
        { what: 'the replica promoted', timeoutMs: 20_000, intervalMs: 100 },
      );
      await waitForEverySlot(addresses(), EVERY_SLOT_BOUND_MS);
      const tookMs = performance.now() - failoverAt;
      expect(tookMs).toBeLessThan(EVERY_SLOT_BOUND_MS);
      await sleep(300);
      await ledger.stop();
      const loss = await ledger.check();
      console.info(JSON.stringify({ fault: 'cluster-failover', tookMs: Math.round(tookMs), loss }));
      expect(loss.sessionsWritten).toBeGreaterThan(10);
      expect(loss).toMatchObject({ sessionsLost: 0, streamEntriesLost: 0, limiterIncrementsLost: 0 });
    } finally {
      ledger.close();
    }
  }, 60_000);
});
