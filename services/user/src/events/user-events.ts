import { z } from 'zod';
import type { UserEvent } from '../users/user.model';

/** Name of the stream (docs/design.md, "Events and jobs"); its key comes from the service keyspace: `user:stream:{user-events}`. */
export const USER_EVENTS_STREAM = 'user-events';

/** Consumer group of the user service's own cache invalidator. */
export const USER_CACHE_GROUP = 'user-cache';

/** An event as read back from the stream (fields are strings on the wire). */
export interface UserEventMessage {
  readonly eventId: string;
  readonly type: UserEvent['type'];
  readonly userId: string;
  readonly version: number;
  readonly occurredAt: string;
}

const fieldsSchema = z.object({
  type: z.enum(['user.created', 'user.updated', 'user.deleted']),
  userId: z.uuid(),
  version: z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number),
  eventId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** Stream fields of an event (contract: type, userId, version, eventId, occurredAt; traceparent is added by the publisher). */
export function toStreamFields(event: UserEvent): Record<string, string> {
  return {
    type: event.type,
    userId: event.userId,
    version: String(event.version),
    eventId: event.eventId,
    occurredAt: event.occurredAt,
  };
}

/** Parses stream fields; undefined when they are not a user event this version understands. */
export function parseUserEvent(fields: Readonly<Record<string, string>>): UserEventMessage | undefined {
  const parsed = fieldsSchema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
