import type { Redis } from 'ioredis';
import type { KeyFamilySample, RedisSample } from './soak-report.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const UUID_INSIDE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const IP = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]+:[0-9a-f:]*$/i;

/**
 * One key part with its ids replaced: a UUID → `<id>`, an address → `<ip>`, a number → `<n>`, a long random
 * token → `<token>`; `{…}` hash tags, the gateway's `i.` identity prefix and the limiter's `%u` (a UUID in
 * 22 characters) and `%h` (a SHA-256) markers are kept around them.
 */
function placeholder(part: string): string {
  const braced = /^\{(.*)\}$/.exec(part);
  if (braced) return `{${placeholder(braced[1] as string)}}`;
  const identity = /^([a-z])\.(.+)$/.exec(part);
  if (identity) return `${identity[1]}.${placeholder(identity[2] as string)}`;
  const compacted = /^%([uh])(.+)$/.exec(part);
  if (compacted) return `%${compacted[1]}${placeholder(compacted[2] as string)}`;
  if (UUID.test(part)) return '<id>';
  if (IP.test(part)) return '<ip>';
  // An id inside a name: BullMQ's deduplication keys (`de:user-<id>`).
  if (UUID_INSIDE.test(part)) return part.replace(UUID_INSIDE, '<id>');
  if (/^\d+$/.test(part)) return '<n>';
  // Session tags and members are random base64url (16 and 22 characters); names are lower-case words.
  if (/^[A-Za-z0-9_-]{16,}$/.test(part) && /[A-Z0-9]/.test(part)) return '<token>';
  return part;
}

/** `auth:session:<token>`: the key with every id replaced, so keys of one kind count together. */
export function keyFamily(key: string): string {
  return key.split(':').map(placeholder).join(':');
}

/** Elements a key holds, by its type. */
async function elements(redis: Redis, key: string): Promise<number> {
  switch (await redis.type(key)) {
    case 'stream':
      return redis.xlen(key);
    case 'list':
      return redis.llen(key);
    case 'set':
      return redis.scard(key);
    case 'zset':
      return redis.zcard(key);
    case 'hash':
      return redis.hlen(key);
    default:
      return 1;
  }
}

function infoField(info: string, field: string): number {
  return Number(new RegExp(`^${field}:(\\S+)`, 'm').exec(info)?.[1] ?? 0);
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 100) / 100;

/**
 * Memory and every key of one Redis, by family, with TTLs: SCAN over the whole keyspace (a tool's look, never
 * a request path's). Keys without a TTL are measured by how many elements they hold, so a bounded stream
 * and a growing one can be told apart.
 */
export async function redisCensus(redis: Redis): Promise<RedisSample> {
  const families = new Map<string, { keys: number; noTtl: number; noTtlElements: number }>();
  let cursor = '0';
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    if (keys.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.pttl(key);
    const ttls = (await pipeline.exec()) ?? [];
    for (const [i, key] of keys.entries()) {
      const ttl = Number(ttls[i]?.[1] ?? -2);
      if (ttl === -2) continue; // expired between SCAN and PTTL
      total++;
      const family = keyFamily(key);
      const entry = families.get(family) ?? { keys: 0, noTtl: 0, noTtlElements: 0 };
      entry.keys++;
      if (ttl === -1) {
        entry.noTtl++;
        entry.noTtlElements += await elements(redis, key);
      }
      families.set(family, entry);
    }
  } while (cursor !== '0');
  const memory = await redis.info('memory');
  const persistence = await redis.info('persistence');
  return {
    usedMemoryMiB: MiB(infoField(memory, 'used_memory')),
    keys: total,
    aofMiB: infoField(persistence, 'aof_enabled') === 1 ? MiB(infoField(persistence, 'aof_current_size')) : 0,
    families: Object.fromEntries([...families].sort(([a], [b]) => a.localeCompare(b))) as Record<
      string,
      KeyFamilySample
    >,
  };
}
