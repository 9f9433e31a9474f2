import type { CacheInvalidator } from '@redwire/cache';
import { parseUserEvent } from '@redwire/contracts';
import type { StreamHandler } from '@redwire/redis-kit';
import type { InvalidateUserData } from '../jobs/invalidate-user.job';

/** Dependencies of {@link cacheInvalidationHandler}. */
export interface CacheInvalidationHandlerDeps {
  readonly invalidator: CacheInvalidator;
  /** Hands a failed invalidation to the retry queue (BullMQ, deduplicated per user). */
  readonly enqueueRetry: (data: InvalidateUserData) => Promise<void>;
  /** Told about entries that are not user events (acknowledged and skipped). @default ignore */
  readonly onMalformed?: (messageId: string) => void;
}

/**
 * The `user-cache` consumer group's handler: applies each event as a version-aware invalidation, so an
 * older event after a newer one, or a duplicate, never removes a newer entry or lowers the floor. If the
 * cache Redis fails, the retry is handed to BullMQ (back-off, per-user dedup) and the entry is acknowledged;
 * if even that fails, the handler throws and the entry stays pending for redelivery.
 */
export function cacheInvalidationHandler(deps: CacheInvalidationHandlerDeps): StreamHandler {
  return async (message) => {
    const event = parseUserEvent(message.fields);
    if (!event) {
      deps.onMalformed?.(message.id);
      return;
    }
    const outcome = await deps.invalidator.invalidate(event.userId, event.version, {
      path: 'event',
      occurredAt: event.occurredAt,
    });
    if (outcome === 'failed') await deps.enqueueRetry({ userId: event.userId, occurredAt: event.occurredAt });
  };
}
