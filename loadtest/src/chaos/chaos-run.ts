import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEGRADED_HEADER, DEGRADED_SESSIONS } from '@redwire/contracts';
import { LocalStack, readStackConfig, STACK_PROCESS } from '@redwire/local-stack';
import type { RedisClient } from '@redwire/redis-kit';
import type { Queue } from 'bullmq';
import pg from 'pg';
import { type SignedInUser, signUpUsers } from '../traffic/accounts';
import { LoadDriver } from '../traffic/load-driver';
import { LoopbackAddresses } from '../traffic/loopback-addresses';
import { LoopbackClient } from '../traffic/loopback-client';
import type { RequestRecord } from '../traffic/request-record';
import { runFiles, serverVersions, stackEnvironment } from '../traffic/stack-environment';
import { type ChaosOptions, instanceFaults, L1_TTL_MS } from './chaos.options';
import type { ChaosMachine, ChaosReport, FaultResult, StateClusterReport } from './chaos-report.types';
import { CLUSTER_FAULT_IDS } from './cluster/stack-faults';
import { describeStateCluster, stateRedisClient } from './cluster/state-cluster';
import { FAULTS, type FaultContext, type FaultId } from './faults';
import { checkInvariants } from './invariants/check-invariants';
import { markEvents } from './invariants/event-delivery';
import { markJobs, openInvalidationQueue } from './invariants/job-effects';
import { PartitionProxy } from './partition-proxy';
import { faultResult, type PhaseWindow, phaseStats, timeline } from './phase-stats';
import { describeEvent, SupervisorLog } from './supervisor-log';

async function machineInfo(urls: {
  redis: string;
  database: string;
}): Promise<Omit<ChaosMachine, 'loadAverageEnd'>> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    ...(await serverVersions(urls)),
    loadAverageStart: os.loadavg()[0] ?? 0,
  };
}

/** The gateway reached only through the partition link (the third). */
const PARTITIONABLE_GATEWAY = `${STACK_PROCESS.gateway}-3`;
/** Gateways the load balancer spreads clients over (the first two). */
const BALANCED_GATEWAYS = 2;

/** What the report says of the faults this run did not inject. */
function notRun(options: ChaosOptions): ChaosReport['notRun'] {
  const known: readonly FaultId[] =
    options.topology === 'cluster' ? CLUSTER_FAULT_IDS : instanceFaults(options.instances);
  const skipped = known
    .filter((id) => !options.faults.includes(id))
    .map((id) => ({ id, reason: 'not selected (--only)' }));
  if (options.instances > 1)
    skipped.push({
      id: 'gateway-partition',
      reason:
        'not with several instances: the partition link sits in front of a gateway of its own, while here ' +
        'every gateway is an instance taking its share of the load; the run with one instance covers it',
    });
  if (options.topology === 'cluster')
    skipped.push({
      id: 'gateway-partition',
      reason:
        'no cluster equivalent: the partition link is one TCP proxy in front of one Redis port, and a gateway ' +
        'reaches a cluster on every node (its client follows MOVED redirects), so neither the link ' +
        'nor the third gateway it needs runs here; the single-node run covers the partition',
    });
  return skipped;
}

/** A fault's window before its requests are counted. */
type InjectedFault = Omit<FaultResult, 'failed' | 'firstFailureAt' | 'lastFailureAt' | 'recoveryMs'>;

/**
 * Injects each fault in turn, each followed by the recovery window; returns the report's phase windows
 * (the fault in force, the window after it) and each fault's timing.
 */
async function injectFaults(
  options: ChaosOptions,
  context: FaultContext,
  log: (line: string) => void,
  gaveUp: () => string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ windows: PhaseWindow[]; faults: InjectedFault[] }> {
  const windows: PhaseWindow[] = [];
  const faults: InjectedFault[] = [];
  for (const id of options.faults) {
    signal?.throwIfAborted();
    const fault = FAULTS[id];
    log(`fault: ${fault.title}`);
    const window = await fault.run(context);
    await sleep(options.recoveryMs, undefined, { signal });
    fault.after?.(context);
    const reason = gaveUp();
    if (reason) throw new Error(`the supervisor gave up: ${reason}`);
    const windowEndAt = context.clock();
    const phase = (part: 'during' | 'after', fromMs: number, toMs: number): PhaseWindow => ({
      id: `${id}/${part}`,
      label: part === 'during' ? fault.title : `after: ${fault.title}`,
      part,
      fault: id as FaultId,
      fromMs,
      toMs,
    });
    windows.push(
      phase('during', window.injectedAt, window.endedAt),
      phase('after', window.endedAt, windowEndAt),
    );
    faults.push({ id, title: fault.title, ...window, windowEndAt });
    log(`  ${window.action}`);
  }
  return { windows, faults };
}

/**
 * One chaos run: starts the local stack (state Redis persisted with its AOF, a second gateway; with the
 * cluster topology the state role on a 3 + 3 Redis Cluster instead), signs up the users, drives steady load
 * while injecting each fault in turn, lets the backlog drain, then checks the invariants. Everything it
 * started is stopped before it returns or throws.
 */
export async function runChaos(
  options: ChaosOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ChaosReport> {
  const startedAt = new Date();
  const { dataDir, owned: ownDataDir, logFile } = runFiles('chaos', startedAt, options.dataDir);
  const cluster = options.topology === 'cluster';
  const instances = options.instances > 1;
  // Two gateways share the load; on a single node a third, idle until the partition fault, reaches Redis
  // through a link (a cluster has no such link: notRun says why). With several instances, their gateways.
  const { env, extraGateways } = await stackEnvironment(
    {
      ...process.env,
      ...(instances ? { REDWIRE_INSTANCES: String(options.instances) } : {}),
      ...(options.l1 ? { USER_CACHE_L1: 'true', USER_CACHE_L1_TTL: String(L1_TTL_MS) } : {}),
    },
    dataDir,
    instances ? 0 : cluster ? 1 : 2,
    options.topology,
  );
  const balancedGateways = instances ? options.instances : BALANCED_GATEWAYS;
  const stackLog = fs.createWriteStream(logFile);
  const config = readStackConfig(env);
  const link =
    cluster || instances
      ? undefined
      : await PartitionProxy.start({ host: '127.0.0.1', port: config.redisPort });
  let t0 = performance.now();
  const clock = () => performance.now() - t0;
  const events = new SupervisorLog();
  let gaveUp: string | undefined;
  const stack = new LocalStack(config, {
    extraGateways,
    serviceEnvFor: link ? { [PARTITIONABLE_GATEWAY]: { REDIS_URL: `redis://127.0.0.1:${link.port}` } } : {},
    log: (line) => stackLog.write(`[stack] ${line}\n`),
    relay: (line) => stackLog.write(`${line}\n`),
    supervisor: { clock, onEvent: events.record },
    onGiveUp: (message) => {
      gaveUp = message;
    },
  });
  const client = new LoopbackClient({ timeoutMs: 10_000 });
  let db: pg.Pool | undefined;
  let redis: RedisClient | undefined;
  let queue: Queue | undefined;
  try {
    log(`starting the stack (data in ${dataDir}, its log in ${logFile})`);
    signal?.addEventListener('abort', () => void stack.stop(), { once: true });
    await stack.start();
    const urls = stack.urls;
    const gatewayPorts = urls.gateways.map((u) => Number(new URL(u).port));
    db = new pg.Pool({ connectionString: urls.database, max: 2 });
    redis = stateRedisClient(urls);
    queue = openInvalidationQueue(redis);
    const machine = await machineInfo(urls);
    let stateCluster: StateClusterReport | undefined;
    if (urls.redisClusterNodes) {
      log('measuring a session write on the state cluster alone and followed by WAIT 1 100');
      stateCluster = await describeStateCluster(
        urls.redisClusterNodes,
        options.mode === 'short' ? 200 : 1000,
      );
    }
    const eventMark = await markEvents(db, redis);
    const jobMark = await markJobs(queue);

    const addresses = new LoopbackAddresses();
    const runId = randomBytes(4).toString('hex');
    log(`signing up ${options.users + 1} users (one of them the limit probe), each on its own 127.x address`);
    const everyone = await signUpUsers(client, {
      port: gatewayPorts[0] as number,
      count: options.users + 1,
      addresses,
      runId,
      label: 'chaos',
    });
    const users = everyone.slice(0, options.users);
    const halfOfTheUsers = users.filter((u) => u.index % 2 === 1).map((u) => u.index);
    const probeUser = everyone[options.users] as SignedInUser;

    const records: RequestRecord[] = [];
    const driver = new LoadDriver({
      client,
      gatewayPorts,
      balancedGateways,
      users,
      userIntervalMs: options.userIntervalMs,
      anonymous: Array.from({ length: options.anonymous }, () => addresses.next()),
      probes: {
        // A quarter over each limit: 25/s against anon-ip's 20/s, 12.5/s against user-free's 10/s, and
        // a login every 2 s against login-ip's 10 a minute.
        anon: { address: addresses.next(), intervalMs: 40 },
        user: { user: probeUser, intervalMs: 80 },
        login: { address: addresses.next(), intervalMs: 2000 },
      },
      onRecord: (r) => records.push(r),
      clock,
    });
    t0 = performance.now();
    const epochAtStart = Date.now();
    driver.start();
    log(
      `load running: ${users.length} users every ${options.userIntervalMs} ms over ${balancedGateways} gateways${link ? ' (a third for the partition)' : ''}`,
    );
    const windows: PhaseWindow[] = [
      {
        id: 'baseline',
        label: 'baseline',
        part: 'baseline',
        fromMs: options.warmupMs,
        toMs: options.warmupMs + options.baselineMs,
      },
    ];
    await sleep(options.warmupMs + options.baselineMs, undefined, { signal });
    const context: FaultContext = {
      supervisor: stack.supervisor,
      events,
      clock,
      freezeMs: options.freezeMs,
      downMs: options.downMs,
      secondGateway: `${STACK_PROCESS.gateway}-2`,
      readyUrl: (name) => stack.readyUrl(name),
      ...(link
        ? {
            partition: link,
            partitionable: {
              name: PARTITIONABLE_GATEWAY,
              moveIn: () => driver.route(halfOfTheUsers, balancedGateways),
              moveBack: () => driver.route(halfOfTheUsers, undefined),
            },
          }
        : {}),
      ...(stateCluster
        ? {
            stateCluster: {
              nodes: stack.stateRedisProcesses,
              nodeTimeoutMs: stateCluster.nodeTimeoutMs,
            },
          }
        : {}),
    };
    const injected = await injectFaults(options, context, log, () => gaveUp, signal);
    windows.push(...injected.windows);
    await driver.stop();
    const runEnd = clock();
    if (options.recordsFile) {
      fs.writeFileSync(
        options.recordsFile,
        records
          .map((r) => JSON.stringify(r))
          .join('\n')
          .concat('\n'),
      );
    }
    log(
      `load stopped after ${(runEnd / 1000).toFixed(1)} s and ${records.length} requests; letting the backlog drain`,
    );

    const invariants = await checkInvariants({
      records,
      users: [...users, probeUser],
      db,
      redis,
      queue,
      limiterRestartsAtStateRedisRestart: !cluster,
      ...(options.l1 ? { l1TtlMs: L1_TTL_MS } : {}),
      client,
      gatewayPort: gatewayPorts[0] as number,
      gatewayNames: [
        STACK_PROCESS.gateway,
        ...gatewayPorts.slice(1).map((_, i) => `${STACK_PROCESS.gateway}-${i + 2}`),
      ],
      events,
      eventMark,
      jobMark,
      epochAtStart,
    });
    const finishedAt = new Date();
    return {
      schema: 1,
      suite: 'redwire-chaos',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      wallSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
      machine: { ...machine, loadAverageEnd: os.loadavg()[0] ?? 0 },
      settings: {
        mode: options.mode,
        topology: options.topology,
        instances: options.instances,
        l1: options.l1,
        users: options.users,
        anonymous: options.anonymous,
        userIntervalMs: options.userIntervalMs,
        gateways: balancedGateways,
        partitionGateway: link !== undefined,
        freezeMs: options.freezeMs,
        downMs: options.downMs,
        recoveryMs: options.recoveryMs,
        requestBudgetMs: options.requestBudgetMs,
        hungAfterMs: options.hungAfterMs,
        degradedHeader: `${DEGRADED_HEADER}: ${DEGRADED_SESSIONS}`,
        persistence: true,
      },
      phases: windows.map((w) => phaseStats(w, records, options.hungAfterMs)),
      faults: injected.faults.map((f) => faultResult(f, records)),
      invariants,
      timeline: timeline(records),
      supervisorEvents: events.events.flatMap((e) => {
        const text = describeEvent(e);
        return text && e.at >= 0 ? [{ at: Math.round(e.at), text }] : [];
      }),
      notRun: notRun(options),
      ...(stateCluster ? { stateCluster } : {}),
    };
  } finally {
    client.close();
    await queue?.close().catch(() => {});
    redis?.disconnect();
    await db?.end().catch(() => {});
    await stack.stop();
    await link?.close();
    stackLog.end();
    if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
