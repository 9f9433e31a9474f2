import { Keyspace } from '@redwire/redis-kit';

// What the services name the things the invariants inspect (the user service's events and jobs, auth's
// consumer group). A test checks these against the services' own constants.

const userKeys = new Keyspace({ service: 'user' });

/** The `user-events` stream key on the state Redis. */
export const USER_EVENTS_STREAM_KEY = userKeys.stream('user-events');
/** Its dead-letter stream (StreamConsumer's default). */
export const USER_EVENTS_DEAD_LETTER_KEY = `${USER_EVENTS_STREAM_KEY}:dlq`;
/** Every consumer group of `user-events`: the user worker's cache invalidator, and auth. */
export const USER_EVENTS_GROUPS = ['user-cache', 'auth'] as const;
/** The BullMQ queue of cache re-invalidations, and its key prefix. */
export const INVALIDATION_QUEUE = {
  name: 'cache-invalidation',
  prefix: `${userKeys.prefix}:{jobs}`,
} as const;
