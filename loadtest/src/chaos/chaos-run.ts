import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, LocalStack, readStackConfig, STACK_PROCESS } from '@redwire/local-stack';
import { Redis } from 'ioredis';
import pg from 'pg';
import { type SignedInUser, signUpUsers } from '../traffic/accounts';
import { LoadDriver } from '../traffic/load-driver';
import { LoopbackAddresses } from '../traffic/loopback-addresses';
import { LoopbackClient } from '../traffic/loopback-client';
import { DEGRADED_HEADER, DEGRADED_SESSIONS, type RequestRecord } from '../traffic/request-record';
import { serverVersions, stackEnvironment } from '../traffic/stack-environment';
import type { ChaosOptions } from './chaos.options';
import type { ChaosMachine, ChaosReport, FaultResult, Invariants } from './chaos-report.types';
import { FAULTS, type FaultContext } from './faults';
import { checkAdmissions } from './invariants/admissions';
import { auditEvents, markEvents, settleEvents } from './invariants/event-delivery';
import { checkJobEffects, markJobs, settleJobs } from './invariants/job-effects';
import { checkSessions } from './invariants/sessions';
import { checkStaleReads } from './invariants/stale-reads';
import { PartitionProxy } from './partition-proxy';
import { faultResult, type PhaseWindow, phaseStats, timeline } from './phase-stats';
import { SupervisorLog, type TimedEvent } from './supervisor-log';

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

/** How long the settle step waits for the relay, the consumer groups and the job queue to drain. */
const SETTLE_TIMEOUT_MS = 45_000;

function describeEvent(event: TimedEvent): string | undefined {
  switch (event.type) {
    case 'started':
      return event.restart ? `${event.name} started again (pid ${event.pid})` : undefined;
    case 'exited':
      return `${event.name} ${describeExit(event.exit)}${event.expected ? ' (held by the harness)' : ''}`;
    case 'restarting':
      return `${event.name}: supervisor restarts it in ${event.delayMs} ms (crash ${event.crashes} in the window)`;
    case 'gave-up':
      return event.message;
  }
}

/**
 * One chaos run: starts the local stack (state Redis persisted with its AOF, a second gateway), signs up
 * the users, drives steady load while injecting each fault in turn, lets the backlog drain, then checks
 * the invariants. Everything it started is stopped before it returns or throws.
 */
export async function runChaos(
  options: ChaosOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<ChaosReport> {
  const startedAt = new Date();
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-chaos-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to traverse the folder.
  fs.chmodSync(dataDir, 0o755);
  const { env, secondGateway } = await stackEnvironment(process.env, dataDir);
  const logFile = path.join(
    os.tmpdir(),
    `redwire-chaos-${startedAt.toISOString().replace(/[:.]/g, '-')}.log`,
  );
  const stackLog = fs.createWriteStream(logFile);
  const config = readStackConfig(env);
  // The second gateway reaches the state Redis through a link the partition fault can cut.
  const link = await PartitionProxy.start({ host: '127.0.0.1', port: config.redisPort });
  let t0 = performance.now();
  const clock = () => performance.now() - t0;
  const events = new SupervisorLog();
  let gaveUp: string | undefined;
  const stack = new LocalStack(config, {
    extraGateways: [secondGateway],
    serviceEnvFor: { [`${STACK_PROCESS.gateway}-2`]: { REDIS_URL: `redis://127.0.0.1:${link.port}` } },
    log: (line) => stackLog.write(`[stack] ${line}\n`),
    relay: (line) => stackLog.write(`${line}\n`),
    supervisor: { clock, onEvent: events.record },
    onGiveUp: (message) => {
      gaveUp = message;
    },
  });
  const client = new LoopbackClient({ timeoutMs: 10_000 });
  let db: pg.Pool | undefined;
  let redis: Redis | undefined;
  try {
    log(`starting the stack (data in ${dataDir}, its log in ${logFile})`);
    signal?.addEventListener('abort', () => void stack.stop(), { once: true });
    await stack.start();
    const urls = stack.urls;
    const gatewayPorts = urls.gateways.map((u) => Number(new URL(u).port));
    db = new pg.Pool({ connectionString: urls.database, max: 2 });
    redis = new Redis(urls.redis, { maxRetriesPerRequest: 3 });
    redis.on('error', () => {});
    const machine = await machineInfo(urls);
    const eventMark = await markEvents(db, redis);
    const jobMark = await markJobs(urls.redis);

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
    const probeUser = everyone[options.users] as SignedInUser;

    const records: RequestRecord[] = [];
    const driver = new LoadDriver({
      client,
      gatewayPorts,
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
      `load running: ${users.length} users every ${options.userIntervalMs} ms over ${gatewayPorts.length} gateways`,
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
      secondGateway: stack.services.find((name) => name.startsWith('gateway-')) ?? 'gateway',
      readyUrl: (name) => stack.readyUrl(name),
      partition: link,
    };
    const faultWindows: Omit<FaultResult, 'failed' | 'firstFailureAt' | 'lastFailureAt' | 'recoveryMs'>[] =
      [];
    for (const id of options.faults) {
      signal?.throwIfAborted();
      const fault = FAULTS[id];
      log(`fault: ${fault.title}`);
      const window = await fault.run(context);
      await sleep(options.recoveryMs, undefined, { signal });
      if (gaveUp) throw new Error(`the supervisor gave up: ${gaveUp}`);
      const windowEndAt = clock();
      windows.push(
        {
          id: `${id}/during`,
          label: fault.title,
          part: 'during',
          fault: id,
          fromMs: window.injectedAt,
          toMs: window.endedAt,
        },
        {
          id: `${id}/after`,
          label: `after: ${fault.title}`,
          part: 'after',
          fault: id,
          fromMs: window.endedAt,
          toMs: windowEndAt,
        },
      );
      faultWindows.push({ id, title: fault.title, ...window, windowEndAt });
      log(`  ${window.action}`);
    }
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

    const settleSeconds = await settleEvents(db, redis, eventMark, SETTLE_TIMEOUT_MS);
    await settleJobs(urls.redis, SETTLE_TIMEOUT_MS);
    const gatewayNames = ['gateway', context.secondGateway];
    const invariantsWithoutVerdict = {
      staleReads: checkStaleReads(records),
      events: await auditEvents(db, redis, eventMark, settleSeconds),
      jobs: await checkJobEffects(db, urls.redis, [...users, probeUser], records, jobMark),
      sessions: await checkSessions(client, gatewayPorts[0] as number, [...users, probeUser], records),
      admissions: checkAdmissions(records, {
        gateways: gatewayPorts.length,
        gatewayRestarts: gatewayNames.map((name) =>
          events.events.filter((e) => e.type === 'started' && e.restart && e.name === name).map((e) => e.at),
        ),
        epochOf: (ms) => epochAtStart + ms,
      }),
    };
    const i = invariantsWithoutVerdict;
    const invariants: Invariants = {
      ...i,
      held:
        i.staleReads.stale === 0 &&
        i.events.lost === 0 &&
        !i.events.trimmedPastRunStart &&
        i.jobs.lost === 0 &&
        i.jobs.duplicated === 0 &&
        i.sessions.lost === 0 &&
        i.admissions.overAdmitted === 0,
    };
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
        users: options.users,
        anonymous: options.anonymous,
        userIntervalMs: options.userIntervalMs,
        gateways: gatewayPorts.length,
        freezeMs: options.freezeMs,
        downMs: options.downMs,
        recoveryMs: options.recoveryMs,
        requestBudgetMs: options.requestBudgetMs,
        hungAfterMs: options.hungAfterMs,
        degradedHeader: `${DEGRADED_HEADER}: ${DEGRADED_SESSIONS}`,
        persistence: true,
      },
      phases: windows.map((w) => phaseStats(w, records, options.hungAfterMs)),
      faults: faultWindows.map((f) => faultResult(f, records)),
      invariants,
      timeline: timeline(records),
      supervisorEvents: events.events.flatMap((e) => {
        const text = describeEvent(e);
        return text && e.at >= 0 ? [{ at: Math.round(e.at), text }] : [];
      }),
      notRun: [],
    };
  } finally {
    client.close();
    redis?.disconnect();
    await db?.end().catch(() => {});
    await stack.stop();
    await link.close();
    stackLog.end();
    if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
