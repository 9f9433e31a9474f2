import { StreamFanoutReader } from '@redwire/redis-kit';
import type { L1FanoutSource } from './entity-cache.options';
import type { L1Cache } from './l1-cache';

/**
 * Invalidates this instance's L1 from every entry of the fan-out stream, read with plain XREAD from the
 * instance's own cursor (a consumer group would hand each entry to one instance only). The L1 is off until
 * the subscription is established and is flushed and switched off whenever it is lost: entries sent
 * meanwhile were not seen. Resolves once the cursor is fixed and the L1 is on.
 */
export async function startL1Fanout<V>(
  source: L1FanoutSource,
  l1: L1Cache<V>,
  onError: ((error: unknown) => void) | undefined,
): Promise<StreamFanoutReader> {
  const reader = new StreamFanoutReader({
    connection: source.connection,
    stream: source.stream,
    startFrom: 'latest',
    handler: (message) => {
      const ids = source.idsOf(message.fields);
      if (typeof ids === 'string') l1.invalidate(ids);
      else for (const id of ids ?? []) l1.invalidate(id);
    },
    onSubscriptionChange: (state) => l1.setAvailable(state === 'established'),
    ...(onError ? { onError } : {}),
  });
  await reader.start();
  return reader;
}
