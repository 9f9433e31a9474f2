import { isCluster, type RedisClient } from '../connection/redis-client.factory';

/**
 * Calls `listener` whenever the client loses a connection: a single node's `close`, or on Cluster a node
 * dropped from the pool or the whole cluster closing. Returns the unsubscribe function.
 */
export function onConnectionLost(client: RedisClient, listener: () => void): () => void {
  const onClose = () => listener();
  client.on('close', onClose);
  if (isCluster(client)) client.on('-node', onClose);
  return () => {
    client.off('close', onClose);
    if (isCluster(client)) client.off('-node', onClose);
  };
}
