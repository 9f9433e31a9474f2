import { encodeKeyPart, type Keyspace } from '@redwire/redis-kit';

/**
 * The state key of one policy for one identity: `<prefix>:rl:{<identity>}:<policy>`, exactly what
 * `keys.tagged('rl', identity, policy)` builds, without re-checking the constant parts on every request
 * (policy names are validated as `[a-z0-9-]` when the policy set is built). No timestamp in it (windows
 * live inside the value), and the identity is the hash tag, so one identity's keys share a slot.
 */
export function rateLimitKey(keys: Keyspace, identity: string, policy: string): string {
  return `${keys.prefix}:rl:{${encodeKeyPart(identity)}}:${policy}`;
}
