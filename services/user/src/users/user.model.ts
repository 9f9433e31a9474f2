import type { UserEventType } from '@redwire/contracts';

/** A user profile as the service stores, caches and serves it (email included; callers decide who sees it). */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly bio: string;
  /** ISO-8601 UTC. */
  readonly createdAt: string;
  /** ISO-8601 UTC. */
  readonly updatedAt: string;
  /** Bumped by a trigger on every write; the ETag and the cache's ordering key. */
  readonly version: number;
}

export type { UserEventType };

/** One outbox row, i.e. one event as it will be published. */
export interface UserEvent {
  readonly eventId: string;
  readonly type: UserEventType;
  readonly userId: string;
  /**
   * The row version the event makes current; for `user.deleted`, the deleted row's version + 1, so a
   * delete orders after every write to the row it removed.
   */
  readonly version: number;
  /** ISO-8601 UTC, taken when the row was written (inside the transaction). */
  readonly occurredAt: string;
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

/** W3C trace context to store with an event, so its publish and consumers join the request's trace. */
export interface TraceCarrier {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}
