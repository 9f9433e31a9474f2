import { randomUUID } from 'node:crypto';
import { encodeAuthEvent } from '@redwire/contracts';
import type { Logger } from '@redwire/http-kit';
import type { StreamPublisher } from '@redwire/redis-kit';

/**
 * Publishes `session.revoked` on `auth-events` for every session auth ends (logout, revoke one, revoke all,
 * eviction over the cap, password change, disable, user deletion), so a gateway that caches validations
 * (≤ 1 s) can evict them at once. Best effort: the revocation already happened in Redis and the cache
 * lifetime bounds the delay, so a failed publish is logged, never surfaced to the client.
 * The entry format is @redwire/contracts' `encodeAuthEvent`.
 */
export class RevocationPublisher {
  constructor(
    private readonly publisher: StreamPublisher,
    private readonly logger: Logger,
  ) {}

  async revoked(sessionIds: readonly string[], userId?: string): Promise<void> {
    for (const sessionId of sessionIds) {
      try {
        await this.publisher.publish(
          encodeAuthEvent({
            type: 'session.revoked',
            sessionId,
            userId,
            eventId: randomUUID(),
            occurredAt: new Date().toISOString(),
          }),
        );
      } catch (error) {
        this.logger.warn(
          { err: error, userId },
          'could not publish session.revoked; gateway caches expire it',
        );
        return;
      }
    }
  }
}
