import { randomUUID } from 'node:crypto';
import {
  AUTH_CONSUMER_GROUP,
  AUTH_EVENTS_STREAM,
  type AuthEvent,
  authEventsKey,
  encodeAuthEvent,
  encodeUserEvent,
  parseAuthEvent,
  parseUserEvent,
  USER_CACHE_GROUP,
  USER_EVENTS_STREAM,
  type UserEventMessage,
  userEventsKey,
} from '@redwire/contracts';
import { createRedisClient, type RedisClient, StreamPublisher, waitForReady } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The wire format of the streams two services share, pinned: changing a name, a key or a field breaks a
// test here first, so the change is made on purpose (docs/design.md "Events" says how formats may evolve).

let redis: RedisClient;
beforeAll(async () => {
  redis = createRedisClient({ url: sharedServers().redisUrl, service: 'contracts-test' });
  await waitForReady(redis);
});
afterAll(() => redis?.disconnect());

/** Publishes as the producers do (StreamPublisher adds the trace context) and reads the entry back raw. */
async function roundTrip(stream: string, fields: Record<string, string>): Promise<Record<string, string>> {
  const publisher = new StreamPublisher({ client: redis, stream });
  await publisher.publish(fields, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  const [[, flat] = ['', []]] = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  const read: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) read[flat[i] as string] = flat[i + 1] as string;
  return read;
}

describe('names and keys', () => {
  it('when a service builds a stream key, then it is the exact string stored today', () => {
    expect([USER_EVENTS_STREAM, AUTH_EVENTS_STREAM]).toEqual(['user-events', 'auth-events']);
    expect([USER_CACHE_GROUP, AUTH_CONSUMER_GROUP]).toEqual(['user-cache', 'auth']);
    expect(userEventsKey()).toBe('user:stream:{user-events}');
    expect(userEventsKey('')).toBe('user:stream:{user-events}');
    expect(userEventsKey('staging')).toBe('staging:user:stream:{user-events}');
    expect(authEventsKey()).toBe('auth:stream:{auth-events}');
    expect(authEventsKey('staging')).toBe('staging:auth:stream:{auth-events}');
  });
});

describe('user-events', () => {
  const event: UserEventMessage = {
    type: 'user.updated',
    userId: '0195f2a4-7c1e-7d3a-9b2f-4c5d6e7f8091',
    version: 7,
    eventId: '0195f2a4-7c1e-7d3a-9b2f-4c5d6e7f8092',
    occurredAt: '2026-01-01T00:00:00.000Z',
  };

  it('when the user service encodes an event, then its fields are the version 1 entry, in order', () => {
    const fields = encodeUserEvent({ ...event, traceparent: 'not on the wire' } as UserEventMessage);
    expect(Object.entries(fields)).toEqual([
      ['type', 'user.updated'],
      ['userId', event.userId],
      ['version', '7'],
      ['eventId', event.eventId],
      ['occurredAt', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('when an entry is published by the producer, then the consumers decode the same event', async () => {
    const read = await roundTrip(userEventsKey(uniquePrefix('contracts')), encodeUserEvent(event));
    expect(read.traceparent).toBeDefined();
    expect(parseUserEvent(read)).toEqual(event);
  });

  it('when an entry is not a version 1 user event, then the consumers skip it', () => {
    const fields = encodeUserEvent(event);
    for (const bad of [
      { ...fields, type: 'user.renamed' },
      { ...fields, version: '0' },
      { ...fields, version: '7.5' },
      { ...fields, userId: 'alice' },
      { ...fields, occurredAt: 'yesterday' },
      { type: 'user.updated', userId: event.userId, version: '7' },
    ] as Record<string, string>[]) {
      expect(parseUserEvent(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('auth-events', () => {
  const revoked: AuthEvent = {
    type: 'session.revoked',
    sessionId: 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-',
    userId: '0195f2a4-7c1e-7d3a-9b2f-4c5d6e7f8093',
    eventId: '0195f2a4-7c1e-7d3a-9b2f-4c5d6e7f8094',
    occurredAt: '2026-01-01T00:00:00.000Z',
  };

  it('when auth encodes a revocation, then its fields are the version 1 entry, userId only when known', () => {
    expect(Object.keys(encodeAuthEvent(revoked))).toEqual([
      'type',
      'sessionId',
      'userId',
      'eventId',
      'occurredAt',
    ]);
    expect(encodeAuthEvent({ ...revoked, userId: undefined })).not.toHaveProperty('userId');
  });

  it('when auth publishes a revocation, then the gateway decodes the same event', async () => {
    const stream = authEventsKey(uniquePrefix('contracts'));
    expect(parseAuthEvent(await roundTrip(stream, encodeAuthEvent(revoked)))).toEqual(revoked);
    const anonymous = { ...revoked, userId: undefined, eventId: randomUUID() };
    const read = await roundTrip(authEventsKey(uniquePrefix('contracts')), encodeAuthEvent(anonymous));
    expect(parseAuthEvent(read)).toEqual({ ...anonymous, userId: undefined });
  });

  it('when an entry is not a version 1 auth event, then the gateway skips it', () => {
    const fields = encodeAuthEvent(revoked);
    for (const bad of [
      { ...fields, type: 'session.created' },
      { ...fields, sessionId: 'short' },
      { ...fields, userId: 'alice' },
      { type: 'session.revoked', sessionId: revoked.sessionId },
    ] as Record<string, string>[]) {
      expect(parseAuthEvent(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
