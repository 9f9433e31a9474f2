import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisServer } from '@redwire/launchers';
import { Cluster, Redis } from 'ioredis';

/** Every hash slot of a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

/** One master of the cluster as CLUSTER NODES reports it, with its replicas' addresses. */
export interface ClusterMaster {
  readonly id: string;
  readonly address: string;
  readonly replicas: readonly string[];
}

function client(address: string): Redis {
  const [host, port] = address.split(':');
  const redis = new Redis({
    host,
    port: Number(port),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 500,
    commandTimeout: 500,
  });
  redis.on('error', () => {});
  return redis;
}

async function once<T>(address: string, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = client(address);
  try {
    await redis.connect();
    return await run(redis);
  } finally {
    redis.disconnect();
  }
}

/** The masters (connected, not failed) and their replicas, as one node sees them. */
export async function clusterMasters(address: string): Promise<ClusterMaster[]> {
  const text = (await once(address, (r) => r.call('CLUSTER', 'NODES'))) as string;
  const rows = text
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .map(([id, addr, flags, master]) => ({
      id: id as string,
      address: (addr as string).split('@')[0] as string,
      flags: (flags as string).split(','),
      master: master as string,
    }));
  return rows
    .filter((r) => r.flags.includes('master') && !r.flags.includes('fail'))
    .map((m) => ({
      id: m.id,
      address: m.address,
      replicas: rows.filter((r) => r.master === m.id && !r.flags.includes('fail')).map((r) => r.address),
    }));
}

/**
 * True when, as `address` sees it, all 16384 slots have a master and every one of those masters answers a
 * write of a probe key in one of its own slots.
 */
export async function everySlotAnswers(address: string): Promise<boolean> {
  try {
    const slots = (await once(address, (r) => r.call('CLUSTER', 'SLOTS'))) as [
      number,
      number,
      [string, number],
    ][];
    const covered = slots.reduce((n, [from, to]) => n + to - from + 1, 0);
    if (covered !== CLUSTER_SLOTS) return false;
    const answers = await Promise.all(
      slots.map(async ([from, to, [host, port]]) => {
        try {
          return await once(`${host}:${port}`, async (r) => {
            await r.set(await keyInRange(r, from, to), '1', 'PX', 10_000);
            return true;
          });
        } catch {
          return false;
        }
      }),
    );
    return answers.every(Boolean);
  } catch {
    return false;
  }
}

/** A key `probe:{n}` whose slot lies in [from, to] (asked of the node; ranges are wide, a few tries). */
async function keyInRange(redis: Redis, from: number, to: number): Promise<string> {
  for (let n = 0; n < 100_000; n++) {
    const key = `probe:{${n}}`;
    const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    if (slot >= from && slot <= to) return key;
  }
  throw new Error(`no probe key for slots ${from}-${to}`);
}

/** Polls until every slot answers (see {@link everySlotAnswers}); resolves with the ms it took. */
export async function waitForEverySlot(addresses: readonly string[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    for (const address of addresses) if (await everySlotAnswers(address)) return performance.now() - started;
    await sleep(100);
  }
  throw new Error(`not every slot answered within ${timeoutMs} ms`);
}

/** What an acknowledged-writes ledger found missing after a failover. */
export interface WriteLoss {
  /** Session-shaped keys (SET … PX) acknowledged. */
  readonly sessionsWritten: number;
  readonly sessionsLost: number;
  /** XADD entries acknowledged. */
  readonly streamEntriesWritten: number;
  readonly streamEntriesLost: number;
  /** INCR on a limiter-shaped counter acknowledged; lost = acknowledged − the counter's final value. */
  readonly limiterIncrementsWritten: number;
  readonly limiterIncrementsLost: number;
  /** Writes that failed (no answer, CLUSTERDOWN, connection reset) while the failover ran. */
  readonly errors: number;
}

/**
 * Writes, as fast as one client in a loop does, session-, stream- and limiter-shaped data into the slots of
 * one master (hash tag `{tag}`), recording only what the cluster acknowledged. `check()` reads it back after
 * the failover: whatever is missing was lost to asynchronous replication.
 */
export class WriteLedger {
  readonly #cluster: Cluster;
  readonly #tag: string;
  readonly #sessions: string[] = [];
  readonly #entries: string[] = [];
  #increments = 0;
  #errors = 0;
  readonly #pauseMs: number;
  #running: Promise<void> | undefined;
  #stop = false;

  /**
   * `pauseMs` between rounds keeps the writer from taking a core of its own when it runs beside other load
   * (the full-stack run); 0 writes as fast as one client in a loop does.
   */
  constructor(nodes: readonly string[], tag: string, pauseMs = 0) {
    this.#tag = tag;
    this.#pauseMs = pauseMs;
    this.#cluster = new Cluster(
      nodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })),
      {
        clusterRetryStrategy: () => 100,
        redisOptions: { connectTimeout: 500, commandTimeout: 1000, maxRetriesPerRequest: 0 },
        slotsRefreshTimeout: 1000,
        enableOfflineQueue: true,
      },
    );
    this.#cluster.on('error', () => {});
  }

  start(): void {
    this.#running = (async () => {
      let n = 0;
      while (!this.#stop) {
        n++;
        const session = `sess:{${this.#tag}}:${n}`;
        try {
          await this.#cluster.set(session, 'x', 'PX', 600_000);
          this.#sessions.push(session);
          const id = await this.#cluster.xadd(`events:{${this.#tag}}`, '*', 'n', String(n));
          if (id) this.#entries.push(id);
          await this.#cluster.incr(`rl:{${this.#tag}}`);
          this.#increments++;
          if (this.#pauseMs > 0) await sleep(this.#pauseMs);
        } catch {
          this.#errors++;
          await sleep(50);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await this.#running;
  }

  async check(): Promise<WriteLoss> {
    const present = await Promise.all(this.#sessions.map((k) => this.#cluster.exists(k)));
    const entries = new Set(
      ((await this.#cluster.xrange(`events:{${this.#tag}}`, '-', '+')) as [string, string[]][]).map(
        ([id]) => id,
      ),
    );
    const counter = Number((await this.#cluster.get(`rl:{${this.#tag}}`)) ?? 0);
    return {
      sessionsWritten: this.#sessions.length,
      sessionsLost: present.filter((p) => p === 0).length,
      streamEntriesWritten: this.#entries.length,
      streamEntriesLost: this.#entries.filter((id) => !entries.has(id)).length,
      limiterIncrementsWritten: this.#increments,
      limiterIncrementsLost: Math.max(0, this.#increments - counter),
      errors: this.#errors,
    };
  }

  close(): void {
    this.#cluster.disconnect();
  }
}

/** The master (as `address` sees the cluster) whose slots hold `key`. */
export async function masterServing(address: string, key: string): Promise<ClusterMaster> {
  const slot = Number(await once(address, (r) => r.call('CLUSTER', 'KEYSLOT', key)));
  const ranges = (await once(address, (r) => r.call('CLUSTER', 'SLOTS'))) as [
    number,
    number,
    [string, number],
  ][];
  const range = ranges.find(([from, to]) => slot >= from && slot <= to);
  const owner = range ? `${range[2][0]}:${range[2][1]}` : undefined;
  const master = (await clusterMasters(address)).find((m) => m.address === owner);
  if (!master) throw new Error(`no master serves slot ${slot} of ${key}`);
  return master;
}

/** A hash tag whose slot `master` serves. */
export async function tagServedBy(master: ClusterMaster): Promise<string> {
  return once(master.address, async (r) => {
    const slots = (await r.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const own = slots.filter(([, , [host, port]]) => `${host}:${port}` === master.address);
    for (let n = 0; n < 100_000; n++) {
      const tag = `ledger-${n}`;
      const slot = Number(await r.call('CLUSTER', 'KEYSLOT', tag));
      if (own.some(([from, to]) => slot >= from && slot <= to)) return tag;
    }
    throw new Error(`no hash tag found for ${master.address}`);
  });
}

/** Latency (ms) of a session-shaped write on `master`, alone and followed by `WAIT 1 timeoutMs`. */
export interface WaitCost {
  readonly samples: number;
  readonly setMedianMs: number;
  readonly setWaitMedianMs: number;
  readonly setP99Ms: number;
  readonly setWaitP99Ms: number;
  /** Writes whose WAIT returned 0 replicas (timed out). */
  readonly waitTimeouts: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export async function measureWaitCost(master: ClusterMaster, tag: string, samples = 300): Promise<WaitCost> {
  return once(master.address, async (r) => {
    const plain: number[] = [];
    const waited: number[] = [];
    let waitTimeouts = 0;
    for (let i = 0; i < samples; i++) {
      let t = performance.now();
      await r.set(`wait:{${tag}}:${i}`, 'x', 'PX', 60_000);
      plain.push(performance.now() - t);
      t = performance.now();
      await r.set(`wait:{${tag}}:w${i}`, 'x', 'PX', 60_000);
      const acked = Number(await r.call('WAIT', '1', '100'));
      waited.push(performance.now() - t);
      if (acked < 1) waitTimeouts++;
    }
    const round = (v: number) => Math.round(v * 1000) / 1000;
    return {
      samples,
      setMedianMs: round(quantile(plain, 0.5)),
      setWaitMedianMs: round(quantile(waited, 0.5)),
      setP99Ms: round(quantile(plain, 0.99)),
      setWaitP99Ms: round(quantile(waited, 0.99)),
      waitTimeouts,
    };
  });
}

/** SIGKILLs the master's process; resolves when it has exited. */
export async function killMaster(server: RedisServer): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) throw new Error(`the node on ${server.port} is not running`);
  const exited = server.exited();
  process.kill(pid, 'SIGKILL');
  await exited;
}

/** `CLUSTER FAILOVER` on a replica (coordinated: its master pauses writes until the replica caught up). */
export async function forceFailover(replica: string): Promise<void> {
  await once(replica, (r) => r.call('CLUSTER', 'FAILOVER'));
}
