import { newRoutingTag, parseToken, SessionStore } from '@redwire/sessions';
import { RedisStore } from 'connect-redis';
import { Cookie, type SessionData } from 'express-session';
import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createClient } from 'redis';
import type { MemoryEntryResult } from '../core/bench.types';
import type { BenchContext, MemoryCase, VariantSpec } from '../core/case.types';
import { createBento } from '../parts/bentocache.part';
import { createLimiter } from '../parts/limiter.part';
import { closeClient, readyRequestClient } from '../parts/request-client';
import { seedUsers, sharedUserRuntime, userCacheKeys, userEntries } from '../parts/user.part';

/** A current desktop browser's User-Agent: redwire keeps its first 64 bytes for the session list. */
const USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const NAMESPACE = 'bench-mem';

const ENTRIES: readonly VariantSpec[] = [
  { id: 'redwire-limiter', label: 'redwire limiter key (GCRA)', role: 'redwire', description: '' },
  { id: 'rlf-limiter', label: 'rate-limiter-flexible key', role: 'baseline', description: '' },
  { id: 'redwire-session', label: 'redwire session', role: 'redwire', description: '' },
  { id: 'connect-redis-session', label: 'connect-redis session', role: 'baseline', description: '' },
  { id: 'redwire-cache-entry', label: 'redwire cache entry', role: 'redwire', description: '' },
  { id: 'bento-cache-entry', label: 'bentocache L2 entry', role: 'baseline', description: '' },
  { id: 'raw-json-entry', label: 'plain SET of the profile JSON', role: 'baseline', description: '' },
];

async function usage(redis: Redis, key: string): Promise<number> {
  const bytes = (await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number | null;
  if (bytes === null) throw new Error(`key ${key} does not exist`);
  return bytes;
}

/** The keys under a prefix (bench-only SCAN on the suite's own Redis; no request path does this). */
async function keysLike(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

type Entry = Omit<MemoryEntryResult, 'id' | 'label' | 'role' | 'status'>;

async function measureEach(
  specs: readonly VariantSpec[],
  measure: Record<string, () => Promise<Entry | { missing: string }>>,
): Promise<MemoryEntryResult[]> {
  const results: MemoryEntryResult[] = [];
  for (const spec of specs) {
    const base = { id: spec.id, label: spec.label, role: spec.role };
    try {
      const entry = await (measure[spec.id] as () => Promise<Entry | { missing: string }>)();
      results.push(
        'missing' in entry
          ? { ...base, status: 'missing', reason: entry.missing }
          : { ...base, ...entry, status: 'measured' },
      );
    } catch (error) {
      results.push({
        ...base,
        status: 'failed',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;
}

/** Bytes per key, `MEMORY USAGE <key> SAMPLES 0`, after one real write by each library. */
export const memoryCase: MemoryCase = {
  kind: 'memory',
  id: 'memory',
  title: 'Bytes per key (MEMORY USAGE)',
  entries: ENTRIES,
  notes: [
    'Redis 7 MEMORY USAGE counts the key, the value and the dictionary entry (jemalloc size classes), not the expiry entry.',
    "The redwire session stores the secret's SHA-256, user id, versions, timestamps, a desktop browser User-Agent and an IPv4 address (for the session list); connect-redis stores express-session's JSON (cookie + the same user id, role, tier).",
    'The cache entries hold the same user profile.',
  ],
  async measure({ stack }: BenchContext): Promise<readonly MemoryEntryResult[]> {
    const plain = stack.plainRedis();
    const user = userEntries();
    const ids = user.missing || !stack.databaseUrl ? [] : await seedUsers(stack);
    const runtime = ids.length ? await sharedUserRuntime(stack) : undefined;
    const profileOf = async (): Promise<{ id: string; profile: unknown } | undefined> => {
      const id = ids[0];
      if (!runtime || !id) return undefined;
      return { id, profile: (await runtime.cache.get(id)).value };
    };

    return measureEach(ENTRIES, {
      'redwire-limiter': async () => {
        const limiter = await createLimiter(stack, { namespace: NAMESPACE, limit: 100, period: 60 });
        await limiter.decide(1);
        const key = limiter.userKey(1);
        return {
          bytes: await usage(plain, key),
          key,
          detail: 'after one decision of a 100/min policy for a UUID user',
        };
      },
      'rlf-limiter': async () => {
        const rlf = new RateLimiterRedis({ storeClient: plain, keyPrefix: 'rlf', points: 100, duration: 60 });
        await rlf.consume('0195f1c2-7a3b-7cde-8f01-23456789abcd');
        const key = 'rlf:0195f1c2-7a3b-7cde-8f01-23456789abcd';
        return {
          bytes: await usage(plain, key),
          key: 'rlf:<user uuid>',
          detail: 'keyed by the user UUID, as commonly used',
        };
      },
      'redwire-session': async () => {
        const redis = await readyRequestClient(stack.redisUrl, 'bench-auth');
        try {
          const store = new SessionStore({ redis, namespace: NAMESPACE });
          const measureOne = async (userAgent: string) => {
            const tag = newRoutingTag();
            const created = await store.create(
              {
                userId: '0195f1c2-7a3b-7cde-8f01-23456789abcd',
                tag,
                authVersion: 1,
                revision: 1,
                role: 'user',
                tier: 'free',
              },
              { userAgent, ip: '203.0.113.42' },
            );
            if (!created.created) throw new Error('session not created');
            const parsed = parseToken(created.token);
            if (!parsed) throw new Error('token does not parse');
            const keys = await keysLike(plain, `${NAMESPACE}:*{${tag}}*`);
            const sessionKey = keys.find((k) => k.endsWith(parsed.member));
            if (!sessionKey) throw new Error(`no session key among ${keys.join(', ')}`);
            const perUser = await Promise.all(
              keys.filter((k) => k !== sessionKey).map((k) => usage(plain, k)),
            );
            return {
              bytes: await usage(plain, sessionKey),
              encoding: String(await plain.call('OBJECT', 'ENCODING', sessionKey)),
              key: sessionKey.replace(tag, '<tag>').replace(parsed.member, '<member>'),
              shared: perUser.reduce((a, b) => a + b, 0),
              sharedKeys: perUser.length,
            };
          };
          const browser = await measureOne(USER_AGENT);
          const short = await measureOne('k6/0.57 (https://k6.io/)');
          return {
            bytes: browser.bytes,
            key: browser.key,
            detail:
              `the session hash with a ${USER_AGENT.length}-char browser User-Agent, stored cut to 64 bytes (encoding ${browser.encoding}); ` +
              `${short.bytes} B (encoding ${short.encoding}) with a 24-char one; ` +
              `plus ${browser.shared} B per user shared by all their sessions (${browser.sharedKeys} keys: account mirror, session index)`,
          };
        } finally {
          await closeClient(redis);
        }
      },
      'connect-redis-session': async () => {
        const client = createClient({
          url: stack.redisUrl,
          socket: { connectTimeout: 2000, reconnectStrategy: false },
        });
        client.on('error', () => {});
        await client.connect();
        try {
          const store = new RedisStore({ client, prefix: 'sess:' });
          const cookie = new Cookie();
          cookie.maxAge = 30 * 60 * 1000;
          cookie.httpOnly = true;
          cookie.sameSite = 'lax';
          const data = { cookie, userId: '0195f1c2-7a3b-7cde-8f01-23456789abcd', role: 'user', tier: 'free' };
          const sid = 'Q2hhbmdlZCB0byBhIDMyLWNoYXIgc2lk'; // express-session's default sid length
          await store.set(sid, data as unknown as SessionData);
          return {
            bytes: await usage(plain, `sess:${sid}`),
            key: 'sess:<sid>',
            detail: 'express-session JSON (cookie + user id, role, tier)',
          };
        } finally {
          await client.quit();
        }
      },
      'redwire-cache-entry': async () => {
        const found = await profileOf();
        if (!found || !runtime)
          return { missing: `user service not built (${user.missing ?? stack.databaseMissing})` };
        const keys = userCacheKeys(runtime, found.id);
        const floor = await plain.exists(keys.floor);
        return {
          bytes: await usage(plain, keys.entry),
          key: keys.entry.replace(found.id, '<user id>'),
          detail: `the entry (envelope + profile JSON)${floor ? `; plus ${await usage(plain, keys.floor)} B for the floor key while it lives (after a write)` : ''}`,
        };
      },
      'bento-cache-entry': async () => {
        const found = await profileOf();
        if (!found)
          return { missing: `no profile: user service not built (${user.missing ?? stack.databaseMissing})` };
        const cache = await createBento(stack.redisUrl, { l1: false, ttl: '5m' });
        try {
          // A name no other variant uses: the raw entry's `raw:user:<id>` would match `*user:<id>` too.
          await cache.set(`bento-user:${found.id}`, found.profile);
          const [key] = await keysLike(plain, `*bento-user:${found.id}`);
          if (!key) throw new Error('bentocache key not found');
          return {
            bytes: await usage(plain, key),
            key: key.replace(found.id, '<user id>'),
            detail: "bentocache's JSON (value + its metadata)",
          };
        } finally {
          await cache.close();
        }
      },
      'raw-json-entry': async () => {
        const found = await profileOf();
        if (!found)
          return { missing: `no profile: user service not built (${user.missing ?? stack.databaseMissing})` };
        const key = `raw:user:${found.id}`;
        await plain.set(key, JSON.stringify(found.profile), 'EX', 300);
        return {
          bytes: await usage(plain, key),
          key: 'raw:user:<user id>',
          detail: 'JSON.stringify of the profile',
        };
      },
    });
  },
};
