import type { CacheInvalidator } from '@redwire/cache';
import { type Job, type JobsOptions, type Queue, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

/** Job name on the cache-invalidation queue. */
export const INVALIDATE_USER_JOB = 'invalidate-user';

const dataSchema = z.object({ userId: z.uuid(), occurredAt: z.string().optional() });

/** Payload of an invalidate-user job. */
export type InvalidateUserData = z.infer<typeof dataSchema>;

/**
 * Job options. Deduplicated per user with `keepLastIfActive`: at most one waiting and one running job per
 * user, and an event that arrives while a job runs still gets a run after it. The job deletes
 * unconditionally (version 0), so a waiting job that absorbed newer events still covers them.
 */
export function invalidateUserJobOptions(userId: string): JobsOptions {
  return {
    deduplication: { id: `user-${userId}`, keepLastIfActive: true },
    attempts: 8,
    backoff: { type: 'exponential', delay: 200, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}

/** Enqueues a re-invalidation of `userId` (after the event consumer could not reach the cache). */
export async function enqueueInvalidateUser(queue: Queue, data: InvalidateUserData): Promise<void> {
  await queue.add(INVALIDATE_USER_JOB, data, invalidateUserJobOptions(data.userId));
}

/** The processor: one unconditional invalidation; a failure throws so BullMQ retries with back-off. */
export function invalidateUserProcessor(invalidator: CacheInvalidator) {
  return async (job: Job): Promise<string> => {
    const parsed = dataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid invalidate-user job data');
    const outcome = await invalidator.invalidate(parsed.data.userId, 0, {
      path: 'job',
      occurredAt: parsed.data.occurredAt,
    });
    if (outcome === 'failed') throw new Error('cache invalidation failed; retrying');
    return outcome;
  };
}
