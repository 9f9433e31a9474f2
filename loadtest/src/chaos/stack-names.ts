import { AUTH_CONSUMER_GROUP, USER_CACHE_GROUP, userEventsKey } from '@redwire/contracts';
import { Keyspace } from '@redwire/redis-kit';
import { CACHE_INVALIDATION_QUEUE, queuePrefix } from '@redwire/user';

// What the services name the things the invariants inspect: the user-events stream and its consumer
// groups (@redwire/contracts), and the user service's queue of cache re-invalidations (@redwire/user).

/** The `user-events` stream key on the state Redis. */
export const USER_EVENTS_STREAM_KEY = userEventsKey();
/** Its dead-letter stream (StreamConsumer's default). */
export const USER_EVENTS_DEAD_LETTER_KEY = `${USER_EVENTS_STREAM_KEY}:dlq`;
/** Every consumer group of `user-events`: the user worker's cache invalidator, and auth. */
export const USER_EVENTS_GROUPS = [USER_CACHE_GROUP, AUTH_CONSUMER_GROUP] as const;
/** The BullMQ queue of cache re-invalidations, and its key prefix. */
export const INVALIDATION_QUEUE = {
  name: CACHE_INVALIDATION_QUEUE,
  prefix: queuePrefix(new Keyspace({ service: 'user' })),
} as const;
