import type { Logger } from '@redwire/http-kit';
import { Keyspace, type RedisClient, StreamFanoutReader } from '@redwire/redis-kit';
import type { SessionCache } from './session-cache';

/** Auth's stream of session events (auth's `RevocationPublisher`); read-only for the gateway. */
export const AUTH_EVENTS_STREAM = 'auth-events';

/** The key auth publishes under: `[<namespace>:]auth:stream:{auth-events}`. */
export function authEventsKey(namespace: string | undefined): string {
  return new Keyspace({ service: 'auth', namespace }).stream(AUTH_EVENTS_STREAM);
}

/** Options of {@link createRevocationListener}. */
export interface RevocationListenerOptions {
  /** A dedicated blocking connection; the reader owns and closes it. */
  readonly connection: RedisClient;
  readonly namespace: string | undefined;
  readonly cache: SessionCache;
  readonly logger: Logger;
}

/**
 * Follows `auth-events` from this instance's own cursor (every gateway instance sees every event) and
 * evicts a revoked session from the validation cache at once, instead of when its ≤ 1 s entry expires.
 * Events missed while the subscription was down cannot be replayed, so the whole cache is dropped whenever
 * the subscription is established or lost; the TTL still bounds staleness if the stream is unreachable.
 */
export function createRevocationListener(options: RevocationListenerOptions): StreamFanoutReader {
  const { cache, logger } = options;
  return new StreamFanoutReader({
    connection: options.connection,
    stream: authEventsKey(options.namespace),
    handler: ({ fields }) => {
      if (fields.type === 'session.revoked' && fields.sessionId) cache.evictSession(fields.sessionId);
    },
    onSubscriptionChange: (state) => {
      cache.clear();
      if (state === 'lost')
        logger.warn({ stream: AUTH_EVENTS_STREAM }, 'revocation events lost; cache dropped');
    },
    onError: (error) => logger.warn({ err: error }, 'reading auth-events failed; retrying'),
  });
}
