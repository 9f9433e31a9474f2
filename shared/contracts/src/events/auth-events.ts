import { Keyspace } from '@redwire/redis-kit';
import { z } from 'zod';
import { sessionIdSchema } from '../fields';

// The `auth-events` stream: produced by auth (every session it ends), followed by every gateway instance
// to evict revoked sessions from its validation caches at once. The entry format below is version 1;
// docs/design.md "Events" says how it may change.

/** The stream's name (also its `destinationName` in metrics and spans). */
export const AUTH_EVENTS_STREAM = 'auth-events';

/** The service whose keyspace holds the stream. */
const OWNER = 'auth';

/** Version of the entry format: additive changes keep it; anything else is a new stream (see design.md). */
export const AUTH_EVENTS_VERSION = 1;

/** A session auth ended (logout, revocation, eviction over the cap, password change, disable, deletion). */
export interface SessionRevokedEvent {
  readonly type: 'session.revoked';
  /** The public session id (never the token's secret). */
  readonly sessionId: string;
  /** The session's user, when auth knows it. */
  readonly userId?: string | undefined;
  readonly eventId: string;
  /** ISO-8601. */
  readonly occurredAt: string;
}

/** Every event type on `auth-events`. */
export type AuthEvent = SessionRevokedEvent;

/** `[<namespace>:]auth:stream:{auth-events}`: the stream key on auth's state Redis (no namespace when empty). */
export function authEventsKey(namespace?: string): string {
  return new Keyspace(namespace ? { service: OWNER, namespace } : { service: OWNER }).stream(
    AUTH_EVENTS_STREAM,
  );
}

/** The entry's fields as a consumer parses them; unknown fields (`traceparent`) are dropped. */
export const authEventEntrySchema = z.object({
  type: z.literal('session.revoked'),
  sessionId: sessionIdSchema,
  userId: z.uuid().optional(),
  eventId: z.uuid(),
  occurredAt: z.iso.datetime({ offset: true }),
});

/** The producer's side: the stream fields of an event (trace context is added by the publisher). */
export function encodeAuthEvent(event: AuthEvent): Record<string, string> {
  return {
    type: event.type,
    sessionId: event.sessionId,
    ...(event.userId ? { userId: event.userId } : {}),
    eventId: event.eventId,
    occurredAt: event.occurredAt,
  };
}

/** The consumer's side: undefined when the fields are not an auth event this version understands. */
export function parseAuthEvent(fields: Readonly<Record<string, string>>): AuthEvent | undefined {
  const parsed = authEventEntrySchema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
