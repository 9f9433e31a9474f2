import { type RedisClient, StreamFanoutReader } from '@redwire/redis-kit';
import { parseUserEvent } from '../events/user-events';
import type { L1Cache } from './l1-cache';

/** Options of {@link startL1Fanout}. */
export interface L1FanoutOptions {
  /** A dedicated blocking connection to the state Redis; owned (closed) by the returned reader. */
  connection: RedisClient;
  /** The `user-events` stream key. */
  stream: string;
  l1: L1Cache;
  /** Receives errors the reader survives. @default ignore */
  onError?: (error: unknown) => void;
}

/**
 * Invalidates this instance's L1 from every `user-events` entry, read with plain XREAD from the instance's
 * own cursor (a consumer group would hand each event to one instance only). The L1 is off until the
 * subscription is established and is flushed and switched off whenever it is lost: events sent meanwhile
 * were not seen. Resolves once the cursor is fixed and the L1 is on.
 */
export async function startL1Fanout(options: L1FanoutOptions): Promise<StreamFanoutReader> {
  const { l1 } = options;
  const reader = new StreamFanoutReader({
    connection: options.connection,
    stream: options.stream,
    startFrom: 'latest',
    handler: (message) => {
      const event = parseUserEvent(message.fields);
      if (event) l1.invalidate(event.userId);
    },
    onSubscriptionChange: (state) => l1.setAvailable(state === 'established'),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  await reader.start();
  return reader;
}
