import { AUTH_EVENTS_STREAM, authEventsKey, parseAuthEvent } from '@redwire/contracts';
import type { Logger } from '@redwire/http-kit';
import { type RedisClient, StreamFanoutReader } from '@redwire/redis-kit';
import type { Authenticator } from './authenticator';

/** Options of {@link createRevocationListener}. */
export interface RevocationListenerOptions {
  /** A dedicated blocking connection; the reader owns and closes it. */
  readonly connection: RedisClient;
  readonly namespace: string | undefined;
  /** Whose caches a revocation evicts. */
  readonly authenticator: Pick<Authenticator, 'evictSession' | 'cache'>;
  readonly logger: Logger;
}

/**
 * Follows `auth-events` from this instance's own cursor (every gateway instance sees every event) and
 * evicts a revoked session from the recent-validation cache and the last-known-good record at once,
 * instead of when their entries expire. Events missed while the subscription was down cannot be replayed,
 * so the recent-validation cache is dropped whenever the subscription is established or lost; its ≤ 1 s
 * TTL still bounds staleness if the stream is unreachable. The last-known-good record is kept: losing the
 * subscription is what a Redis outage looks like, which is when degraded mode needs it, and its window
 * bounds what a missed event can cost (the README's "Degraded sessions").
 */
export function createRevocationListener(options: RevocationListenerOptions): StreamFanoutReader {
  const { authenticator, logger } = options;
  return new StreamFanoutReader({
    connection: options.connection,
    stream: authEventsKey(options.namespace),
    handler: ({ fields }) => {
      const event = parseAuthEvent(fields);
      if (event?.type === 'session.revoked') authenticator.evictSession(event.sessionId);
    },
    onSubscriptionChange: (state) => {
      authenticator.cache?.clear();
      if (state === 'lost')
        logger.warn({ stream: AUTH_EVENTS_STREAM }, 'revocation events lost; cache dropped');
    },
    onError: (error) => logger.warn({ err: error }, 'reading auth-events failed; retrying'),
  });
}
