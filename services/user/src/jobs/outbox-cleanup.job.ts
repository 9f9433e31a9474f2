import type { Job, Queue } from 'bullmq';
import type pg from 'pg';

/** Job (and job scheduler) name on the outbox-maintenance queue. */
export const OUTBOX_CLEANUP_JOB = 'outbox-cleanup';

/** Rows deleted per statement, so one run never holds long locks. */
const DELETE_BATCH = 5000;

/**
 * Registers the cleanup schedule. Idempotent (upsert), so every worker may call it at start-up; BullMQ
 * runs each occurrence once whatever the number of workers.
 */
export async function scheduleOutboxCleanup(queue: Queue, everyMs: number): Promise<void> {
  await queue.upsertJobScheduler(
    OUTBOX_CLEANUP_JOB,
    { every: everyMs },
    {
      name: OUTBOX_CLEANUP_JOB,
      opts: {
        attempts: 3,
        backoff: { type: 'exponential', delay: 5000 },
        removeOnComplete: 100,
        removeOnFail: 100,
      },
    },
  );
}

/**
 * Deletes outbox rows published more than `retentionMs` ago. Retention must cover the cache's longest
 * entry lifetime: the recovery sweep after a Redis outage reads these rows.
 */
export function outboxCleanupProcessor(pool: pg.Pool, retentionMs: number) {
  return async (_job: Job): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const result = await pool.query(
        `DELETE FROM users.outbox WHERE seq IN (
           SELECT seq FROM users.outbox
           WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1::double precision / 1000)
           LIMIT $2)`,
        [retentionMs, DELETE_BATCH],
      );
      deleted += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < DELETE_BATCH) return deleted;
    }
  };
}
