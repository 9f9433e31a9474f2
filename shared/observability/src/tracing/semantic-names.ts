/**
 * Every span name and attribute key redwire code writes, in one place, so a dashboard or a Jaeger
 * query can rely on them. Our own names live under `redwire.*`; the OTel messaging semantic conventions
 * (Development status, hence not imported from the semconv package's incubating entry) are repeated
 * here so stream code never spells them inline.
 */

/** The instrumentation scope of spans redwire code creates itself. */
export const TRACER_NAME = 'redwire';

/** Span names of redwire's own operations. */
export const SPAN = {
  /** One outbox relay tick: claim unpublished rows, XADD them, mark them published. */
  OUTBOX_RELAY: 'redwire.outbox.relay',
  /** One stream consumer tick: reclaim idle entries (XAUTOCLAIM) and dead-letter the poisoned ones. */
  STREAM_RECLAIM: 'redwire.stream.reclaim',
  /** A lease-guarded cache fill from PostgreSQL after a miss. */
  CACHE_FILL: 'redwire.cache.fill',
  /** Deleting cached entries after a write or on an event. */
  CACHE_INVALIDATE: 'redwire.cache.invalidate',
  /** All rate-limit policies of one request, evaluated in one Redis round trip. */
  RATE_LIMIT: 'redwire.ratelimit.check',
  /** Validating (and maybe touching) a session token. */
  SESSION_VALIDATE: 'redwire.session.validate',
  SESSION_CREATE: 'redwire.session.create',
  SESSION_REVOKE: 'redwire.session.revoke',
  /** Password hashing/verification: CPU-bound, worth seeing on its own in a login trace. */
  PASSWORD_HASH: 'redwire.auth.password.hash',
  PASSWORD_VERIFY: 'redwire.auth.password.verify',
  /** Signing/verifying the X-Redwire-Identity token. */
  IDENTITY_SIGN: 'redwire.identity.sign',
  IDENTITY_VERIFY: 'redwire.identity.verify',
} as const;

/** `messaging.operation.type` values. */
export type MessagingOperation = 'send' | 'receive' | 'process' | 'settle';

/**
 * A messaging span name per the OTel conventions: `"<operation> <destination>"`, e.g.
 * `send user-events` (PRODUCER) or `process user-events` (CONSUMER).
 */
export function messagingSpanName(operation: MessagingOperation, destination: string): string {
  return `${operation} ${destination}`;
}

/** Attribute keys. */
export const ATTR = {
  /** The request's X-Request-Id, on the server span, so a request id from a log or an error finds its trace. */
  REQUEST_ID: 'redwire.request.id',
  /** `hit` | `miss` | `stale` | `bypass`, as in the `X-Cache` header. */
  CACHE_RESULT: 'redwire.cache.result',
  /** Which cache (e.g. `user`). Never the key: it can hold identifiers we do not want in traces. */
  CACHE_NAME: 'redwire.cache.name',
  /** Name of a rate-limit policy. */
  RATE_LIMIT_POLICY: 'redwire.ratelimit.policy',
  /** `allowed` | `limited` | `degraded`. */
  RATE_LIMIT_OUTCOME: 'redwire.ratelimit.outcome',
  /** The failure policy in force when a dependency failed: `open` | `closed` | `local`. */
  FAILURE_POLICY: 'redwire.failure_policy',
  /** `true` when the answer was produced in a degraded mode (fallback, stale data, fail-open). */
  DEGRADED: 'redwire.degraded',
  /** Circuit breaker state: `closed` | `open` | `half-open`. */
  BREAKER_STATE: 'redwire.breaker.state',
  /** A user id (UUID). */
  USER_ID: 'redwire.user.id',
  /** The public session id, never the token or its secret. */
  SESSION_ID: 'redwire.session.id',
  /** Domain event type, e.g. `user.updated`. */
  EVENT_TYPE: 'redwire.event.type',
  /** Domain event id (idempotency key of consumers). */
  EVENT_ID: 'redwire.event.id',
  /** Entity version an event or job carries. */
  EVENT_VERSION: 'redwire.event.version',
  /** Rows an outbox relay tick published. */
  OUTBOX_BATCH_SIZE: 'redwire.outbox.batch_size',
  /** How many times a stream entry has been delivered (from XPENDING/XAUTOCLAIM). */
  DELIVERY_COUNT: 'redwire.stream.delivery_count',

  // OTel messaging semantic conventions.
  MESSAGING_SYSTEM: 'messaging.system',
  MESSAGING_DESTINATION: 'messaging.destination.name',
  MESSAGING_OPERATION_TYPE: 'messaging.operation.type',
  MESSAGING_OPERATION_NAME: 'messaging.operation.name',
  MESSAGING_MESSAGE_ID: 'messaging.message.id',
  MESSAGING_CONSUMER_GROUP: 'messaging.consumer.group.name',
  MESSAGING_BATCH_COUNT: 'messaging.batch.message_count',
} as const;

/** `messaging.system` value for Redis Streams (a custom value: the conventions list none for Redis). */
export const MESSAGING_SYSTEM_REDIS = 'redis';
