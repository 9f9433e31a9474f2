import { pollUntil } from '@redwire/launchers';
import type { RedisClient } from '@redwire/redis-kit';
import { Queue } from 'bullmq';
import type pg from 'pg';
import type { SignedInUser } from '../../traffic/accounts';
import type { RequestRecord } from '../../traffic/request-record';
import type { JobEffectsCheck } from '../chaos-report.types';
import { INVALIDATION_QUEUE } from '../stack-names';

/** Job counts of the invalidation queue at a moment. */
export interface JobMark {
  readonly failed: number;
  readonly completed: number;
}

/**
 * The user service's invalidation queue, read through the harness's own state Redis client (a single node or
 * a Cluster: the queue's `{jobs}` hash tag keeps its keys in one slot). BullMQ leaves a client it was given
 * open: the caller closes the queue, then its client.
 */
export function openInvalidationQueue(redis: RedisClient): Queue {
  const queue = new Queue(INVALIDATION_QUEUE.name, { prefix: INVALIDATION_QUEUE.prefix, connection: redis });
  // The faults take its Redis away on purpose: BullMQ relays the client's connection errors here, and
  // without a listener prints each one; the checks that use the queue run once Redis is back.
  queue.on('error', () => {});
  return queue;
}

function jobCounts(queue: Queue) {
  return queue.getJobCounts('failed', 'completed', 'waiting', 'active', 'delayed', 'prioritized');
}

export async function markJobs(queue: Queue): Promise<JobMark> {
  const counts = await jobCounts(queue);
  return { failed: counts.failed ?? 0, completed: counts.completed ?? 0 };
}

/** Waits (up to `timeoutMs`) until no invalidation job is waiting, active or delayed: their retries run first. */
export async function settleJobs(queue: Queue, timeoutMs: number): Promise<void> {
  const settled = async () => {
    const counts = await jobCounts(queue);
    return (
      (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) === 0
    );
  };
  // Not settling in time is no error here: the invariant that follows reports what was left.
  await pollUntil(settled, { what: 'queued jobs done', timeoutMs, intervalMs: 250 }).catch(() => {});
}

/**
 * Every write's effect exactly once, and every job's effect at least once:
 * - a profile's version rises by one per committed PATCH (a trigger bumps it), so its final version must
 *   be at least every version a write acknowledged (nothing lost) and must not have risen more than the
 *   writes that could have committed (the acknowledged ones plus those whose outcome the client never
 *   learned: nothing applied twice);
 * - each of those versions has exactly one outbox event (none missing, none doubled);
 * - the cache-invalidation jobs added during the run all completed: none failed for good, none left
 *   waiting or stuck (their effect, a version-guarded DEL, may run twice harmlessly; it must not be lost).
 */
export async function checkJobEffects(
  db: pg.Pool,
  queue: Queue,
  users: readonly SignedInUser[],
  records: readonly RequestRecord[],
  mark: JobMark,
): Promise<JobEffectsCheck> {
  const writes = records.filter((r) => r.kind === 'write');
  const acknowledged = writes.filter((r) => r.status === 200);
  const uncertain = writes.filter((r) => r.status === 0 || r.status >= 500);
  const { rows: finals } = await db.query<{ id: string; version: string }>(
    'SELECT id, version FROM users.users WHERE id = ANY($1::uuid[])',
    [users.map((u) => u.id)],
  );
  const finalVersion = new Map(finals.map((r) => [r.id, Number(r.version)]));
  const { rows: events } = await db.query<{ user_id: string; version: string; n: string }>(
    `SELECT user_id, version, count(*) AS n FROM users.outbox
     WHERE user_id = ANY($1::uuid[]) AND type = 'user.updated' GROUP BY user_id, version`,
    [users.map((u) => u.id)],
  );
  const eventCounts = new Map(events.map((e) => [`${e.user_id}/${e.version}`, Number(e.n)]));
  let lostWrites = 0;
  let duplicatedWrites = 0;
  let outboxGaps = 0;
  let outboxDuplicates = 0;
  for (const user of users) {
    const final = finalVersion.get(user.id) ?? 0;
    const mine = (list: readonly RequestRecord[]) => list.filter((r) => r.target === user.index);
    const acked = mine(acknowledged);
    const highestAck = Math.max(0, ...acked.map((r) => r.version ?? 0));
    if (final < highestAck || final - user.version < acked.length) lostWrites++;
    if (final - user.version > acked.length + mine(uncertain).length) duplicatedWrites++;
    for (let version = user.version + 1; version <= final; version++) {
      const n = eventCounts.get(`${user.id}/${version}`) ?? 0;
      if (n === 0) outboxGaps++;
      if (n > 1) outboxDuplicates += n - 1;
    }
  }
  const counts = await jobCounts(queue);
  const invalidationJobs = {
    failed: (counts.failed ?? 0) - mark.failed,
    stuck: (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0),
    completed: (counts.completed ?? 0) - mark.completed,
  };
  return {
    lostWrites,
    duplicatedWrites,
    outboxGaps,
    outboxDuplicates,
    invalidationJobs,
    acknowledgedWrites: acknowledged.length,
    uncertainWrites: uncertain.length,
    lost: lostWrites + outboxGaps + invalidationJobs.failed + invalidationJobs.stuck,
    duplicated: duplicatedWrites + outboxDuplicates,
  };
}
