import type { RedisClient } from '@redwire/redis-kit';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { SignedInUser } from '../../traffic/accounts';
import type { LoopbackClient } from '../../traffic/loopback-client';
import type { RequestRecord } from '../../traffic/request-record';
import type { Invariants } from '../chaos-report.types';
import type { SupervisorLog } from '../supervisor-log';
import { checkAdmissions } from './admissions';
import { auditEvents, type EventMark, settleEvents } from './event-delivery';
import { checkJobEffects, type JobMark, settleJobs } from './job-effects';
import { checkSessions } from './sessions';
import { checkStaleReads } from './stale-reads';

/** How long the settle step waits for the relay, the consumer groups and the job queue to drain. */
const SETTLE_TIMEOUT_MS = 45_000;

/** What the checks read: the run's requests and the stack's own records of what it did. */
export interface InvariantInputs {
  readonly records: readonly RequestRecord[];
  /** Every user whose session and writes are checked (the probe user too). */
  readonly users: readonly SignedInUser[];
  readonly db: pg.Pool;
  /** The state Redis (a single node or a Cluster client). */
  readonly redis: RedisClient;
  /** The invalidation queue on it (`openInvalidationQueue`). */
  readonly queue: Queue;
  /**
   * A restart of the state Redis starts a new limiter incarnation: true for the single node, which replays
   * an AOF that may miss its last writes. False on a cluster, where a killed master restarts as a replica
   * after its replica took over: the bound runs on across the failover, so whatever the promoted replica
   * had not received shows as over-admission.
   */
  readonly limiterRestartsAtStateRedisRestart: boolean;
  /** With the L1 on: its TTL, the staleness the user service allows (`checkStaleReads`). */
  readonly l1TtlMs?: number;
  readonly client: LoopbackClient;
  /** The gateway the session check goes through. */
  readonly gatewayPort: number;
  /** The gateways' process names, in the order of their ports. */
  readonly gatewayNames: readonly string[];
  readonly events: SupervisorLog;
  readonly eventMark: EventMark;
  readonly jobMark: JobMark;
  /** Wall-clock ms of the run's time 0 (the sliding-window check counts windows of Redis's clock). */
  readonly epochAtStart: number;
}

/** Lets the backlog drain (at-least-once machinery gets its retries), then checks every invariant. */
export async function checkInvariants(input: InvariantInputs): Promise<Invariants> {
  const { records, users, db, redis } = input;
  const settleSeconds = await settleEvents(db, redis, input.eventMark, SETTLE_TIMEOUT_MS);
  await settleJobs(input.queue, SETTLE_TIMEOUT_MS);
  const checks = {
    staleReads: checkStaleReads(records, input.l1TtlMs),
    events: await auditEvents(db, redis, input.eventMark, settleSeconds),
    jobs: await checkJobEffects(db, input.queue, users, records, input.jobMark),
    sessions: await checkSessions(input.client, input.gatewayPort, users, records),
    admissions: checkAdmissions(records, {
      gateways: input.gatewayNames.length,
      gatewayRestarts: input.gatewayNames.map((name) =>
        input.events.events
          .filter((e) => e.type === 'started' && e.restart && e.name === name)
          .map((e) => e.at),
      ),
      ...(input.limiterRestartsAtStateRedisRestart
        ? {
            stateRedisRestarts: input.events.events
              .filter((e) => e.type === 'started' && e.restart && e.name === 'redis')
              .map((e) => e.at),
          }
        : {}),
      epochOf: (ms) => input.epochAtStart + ms,
    }),
  };
  return {
    ...checks,
    held:
      checks.staleReads.stale === 0 &&
      checks.events.lost === 0 &&
      !checks.events.trimmedPastRunStart &&
      checks.jobs.lost === 0 &&
      checks.jobs.duplicated === 0 &&
      checks.sessions.lost === 0 &&
      checks.admissions.overAdmitted === 0,
  };
}
