import type { Keyspace } from '@redwire/redis-kit';

/**
 * The state key of one policy for one identity: `<prefix>:rl:{<identity>}:<policy>`. No timestamp in it
 * (windows live inside the value), and the identity is the hash tag, so one identity's keys share a slot.
 */
export function rateLimitKey(keys: Keyspace, identity: string, policy: string): string {
  return keys.tagged('rl', identity, policy);
}
