import { randomUUID } from 'node:crypto';
import { authEventsKey, encodeAuthEvent } from '@redwire/contracts';
import type { RedisClient } from '@redwire/redis-kit';

/** Appends `session.revoked` to the stack's `auth-events` as auth writes it. */
export async function announceRevoked(
  redis: RedisClient,
  namespace: string,
  sessionId: string,
): Promise<void> {
  const fields = encodeAuthEvent({
    type: 'session.revoked',
    sessionId,
    eventId: randomUUID(),
    occurredAt: new Date().toISOString(),
  });
  await redis.xadd(authEventsKey(namespace), '*', ...Object.entries(fields).flat());
}
