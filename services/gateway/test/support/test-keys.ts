import { Keyspace } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';

/** The gateway keyspace behind a random namespace, so tests sharing a server never collide. */
export function testKeys(): Keyspace {
  return new Keyspace({ service: 'gateway', namespace: uniquePrefix('t') });
}
