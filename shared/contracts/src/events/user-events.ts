import { Keyspace } from '@redwire/redis-kit';
import { z } from 'zod';

// The `user-events` stream: produced by the user service's outbox relay, consumed by the user service's
// own cache invalidator (group `user-cache`), its L1 fan-out readers, and auth (group `auth`). The entry
// format below is version 1; docs/design.md "Events" says how it may change.

/** The stream's name (also its `destinationName` in metrics and spans). */
export const USER_EVENTS_STREAM = 'user-events';

/** The service whose keyspace holds the stream: its key is the user service's, whoever reads it. */
const OWNER = 'user';

/** Consumer group of the user service's cache invalidator. */
export const USER_CACHE_GROUP = 'user-cache';
/** Consumer group of auth (it ends the sessions of deleted users). */
export const AUTH_CONSUMER_GROUP = 'auth';

/** Version of the entry format: additive changes keep it; anything else is a new stream (see design.md). */
export const USER_EVENTS_VERSION = 1;

export const USER_EVENT_TYPES = ['user.created', 'user.updated', 'user.deleted'] as const;
/** The event types the user service emits on `user-events`. */
export type UserEventType = (typeof USER_EVENT_TYPES)[number];

/** One event as both sides see it (the stream carries every field as a string). */
export interface UserEventMessage {
  readonly eventId: string;
  readonly type: UserEventType;
  readonly userId: string;
  /** The row version the event makes current (for `user.deleted`, the deleted row's version + 1). */
  readonly version: number;
  /** ISO-8601, when the row was written. */
  readonly occurredAt: string;
}

/** `[<namespace>:]user:stream:{user-events}`: the stream key on the state Redis (no namespace when empty). */
export function userEventsKey(namespace?: string): string {
  return new Keyspace(namespace ? { service: OWNER, namespace } : { service: OWNER }).stream(
    USER_EVENTS_STREAM,
  );
}

/** The entry's fields as a consumer parses them; unknown fields (`traceparent`, `tracestate`) are dropped. */
export const userEventEntrySchema = z.object({
  type: z.enum(USER_EVENT_TYPES),
  userId: z.uuid(),
  version: z
    .string()
    .regex(/^[1-9]\d{0,15}$/)
    .transform(Number),
  eventId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** The producer's side: the stream fields of an event (trace context is added by the publisher). */
export function encodeUserEvent(event: UserEventMessage): Record<string, string> {
  return {
    type: event.type,
    userId: event.userId,
    version: String(event.version),
    eventId: event.eventId,
    occurredAt: event.occurredAt,
  };
}

/** The consumer's side: undefined when the fields are not a user event this version understands. */
export function parseUserEvent(fields: Readonly<Record<string, string>>): UserEventMessage | undefined {
  const parsed = userEventEntrySchema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
