import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToken, SessionReader } from '../src';
import { sessionScripts } from '../src/session-scripts';
import { anAccount, backends, connect, created, keysUnder, sessionsOn } from './support/backends';

describe.each(backends)('session store and reader on %s', (backend) => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connect(backend);
  });
  afterAll(() => redis.disconnect());

  it('when a session is created, then its token validates with the account role and tier', async () => {
    const { store, reader } = sessionsOn(redis);
    const account = anAccount({ role: 'admin', tier: 'pro' });
    const { token, session } = await created(store, account);
    const result = await reader.validate(token);
    expect(result).toMatchObject({
      valid: true,
      session: {
        userId: account.userId,
        sessionId: session.sessionId,
        role: 'admin',
        tier: 'pro',
        touched: false,
      },
    });
    if (!result.valid) return;
    expect(result.session.createdAt).toEqual(session.createdAt);
    expect(result.session.expiresAt).toEqual(session.expiresAt);
    expect(result.session.absoluteExpiresAt.getTime() - session.createdAt.getTime()).toBe(8 * 3600_000);
  });

  it('when a token is validated, then it costs exactly one Redis call, touch included', async () => {
    const { store, namespace } = sessionsOn(redis);
    const { token } = await created(store, anAccount());
    const calls: string[] = [];
    const counted = new Proxy(redis, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          return value.apply(target, args);
        };
      },
    });
    const reader = new SessionReader({ redis: counted, namespace, touchIntervalMs: 0 });
    await reader.validate(token); // loads the script if this node lacks it (EVALSHA, then EVAL once)
    calls.length = 0;
    for (let i = 0; i < 20; i++) expect((await reader.validate(token)).valid).toBe(true);
    expect(calls).toEqual(Array(20).fill('evalsha'));
  });

  it('when a token is malformed or tampered, then it is invalid and nothing throws', async () => {
    const { store, reader } = sessionsOn(redis);
    const { token } = await created(store, anAccount());
    expect(await reader.validate(token.slice(0, -1))).toEqual({ valid: false, reason: 'malformed' });
    expect(await reader.validate('')).toEqual({ valid: false, reason: 'malformed' });
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await reader.validate(flipped)).toEqual({ valid: false, reason: 'mismatch' });
    const otherMember = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
    expect(await reader.validate(otherMember)).toEqual({ valid: false, reason: 'unknown' });
    expect((await reader.validate(token)).valid).toBe(true);
  });

  it('when validate is called with something that is not a string, then it rejects instead of throwing', async () => {
    const { reader } = sessionsOn(redis);
    let returned: Promise<unknown> | undefined;
    expect(() => {
      returned = reader.validate(undefined as unknown as string);
    }).not.toThrow();
    await expect(returned).rejects.toBeInstanceOf(TypeError);
  });

  it('when Redis is scanned after logins, then it holds no token or secret, only digests', async () => {
    const { store, keyPrefix } = sessionsOn(redis);
    const account = anAccount();
    const tokens = await Promise.all(
      Array.from({ length: 5 }, async () => (await created(store, account)).token),
    );
    const dump: string[] = [];
    for (const key of await keysUnder(redis, keyPrefix)) {
      dump.push(key);
      const type = await redis.type(key);
      if (type === 'hash') dump.push(...Object.entries(await redis.hgetall(key)).flat());
      else if (type === 'zset') dump.push(...(await redis.zrange(key, '0', '-1')));
      else throw new Error(`unexpected ${type} ${key}`);
    }
    const text = dump.join('\n');
    for (const token of tokens) {
      const secret = token.split('.')[1] as string;
      expect(text).not.toContain(token);
      expect(text).not.toContain(secret);
      expect(text).toContain(parseToken(token)?.secretHash);
    }
  });

  it('when every key the store writes is inspected, then each has an expiry', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, { touchIntervalMs: 0 });
    const account = anAccount();
    const { token } = await created(store, account);
    await reader.validate(token);
    await store.syncAccount({ ...account, revision: 2, tier: 'pro' });
    const keys = await keysUnder(redis, keyPrefix);
    expect(keys).toHaveLength(3);
    for (const key of keys) expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('when the cap is reached, then a new login evicts the oldest session', async () => {
    const { store, reader } = sessionsOn(redis, { maxSessionsPerUser: 3 });
    const account = anAccount();
    const tokens: string[] = [];
    for (let i = 0; i < 5; i++) tokens.push((await created(store, account)).token);
    const valid = await Promise.all(tokens.map(async (t) => (await reader.validate(t)).valid));
    expect(valid).toEqual([false, false, true, true, true]);
    const sixth = await created(store, account);
    expect(sixth.evicted).toEqual([parseToken(tokens[2] as string)?.sessionId]);
    expect((await store.list(account.tag)).map((s) => s.sessionId)).toEqual([
      ...tokens.slice(3).map((t) => parseToken(t)?.sessionId),
      sixth.session.sessionId,
    ]);
  });

  it("when a user revokes another user's session id, then it is refused and that session survives", async () => {
    const { store, reader } = sessionsOn(redis);
    const alice = anAccount();
    const bob = anAccount();
    const bobs = await created(store, bob);
    expect(await store.revoke(bobs.session.sessionId, alice.userId)).toBe('refused');
    expect((await reader.validate(bobs.token)).valid).toBe(true);
    expect(await store.revoke(bobs.session.sessionId, bob.userId)).toBe('revoked');
    expect(await store.revoke(bobs.session.sessionId, bob.userId)).toBe('gone');
    expect(await reader.validate(bobs.token)).toEqual({ valid: false, reason: 'unknown' });
  });

  it('when logging out with a token, then only the matching secret revokes it', async () => {
    const { store, reader } = sessionsOn(redis);
    const { token } = await created(store, anAccount());
    const forged = `${token.slice(0, 39)}${'A'.repeat(43)}`;
    expect(await store.revokeToken(forged)).toBe('refused');
    expect((await reader.validate(token)).valid).toBe(true);
    expect(await store.revokeToken(token)).toBe('revoked');
    expect(await store.revokeToken(token)).toBe('gone');
    expect(await store.revokeToken('garbage')).toBe('gone');
  });

  it('when revoking all but the current session, then exactly that one survives and the index matches', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, { revokeBatchSize: 2 });
    const account = anAccount();
    const all = [];
    for (let i = 0; i < 7; i++) all.push(await created(store, account));
    const keep = all[3];
    if (!keep) throw new Error('unreachable');
    const revoked = await store.revokeAll(account.tag, { keepSessionId: keep.session.sessionId });
    expect(revoked.sort()).toEqual(
      all
        .filter((s) => s !== keep)
        .map((s) => s.session.sessionId)
        .sort(),
    );
    const valid = await Promise.all(all.map(async (s) => (await reader.validate(s.token)).valid));
    expect(valid).toEqual([false, false, false, true, false, false, false]);
    expect((await store.list(account.tag)).map((s) => s.sessionId)).toEqual([keep.session.sessionId]);
    expect(await store.revokeAll(account.tag)).toEqual([keep.session.sessionId]);
    expect(await store.revokeAll(account.tag)).toEqual([]);
    expect(await keysUnder(redis, `${keyPrefix}{${account.tag}}:ix`)).toEqual([]);
  });

  it('when role or tier changes, then live sessions see it at their next validation', async () => {
    const { store, reader } = sessionsOn(redis);
    const account = anAccount();
    const { token } = await created(store, account);
    await store.syncAccount({ ...account, revision: 2, role: 'admin', tier: 'pro' });
    expect(await reader.validate(token)).toMatchObject({
      valid: true,
      session: { role: 'admin', tier: 'pro' },
    });
    // A late writer with an older revision cannot roll it back.
    expect((await store.syncAccount({ ...account, revision: 1 })).applied).toBe(false);
    expect(await reader.validate(token)).toMatchObject({
      valid: true,
      session: { role: 'admin', tier: 'pro' },
    });
  });

  it('when a login read the account before its version was bumped, then that login is refused', async () => {
    const { store, reader } = sessionsOn(redis);
    const account = anAccount();
    const { token } = await created(store, account);
    await store.syncAccount({ ...account, authVersion: 2, revision: 2 });
    expect(await reader.validate(token)).toEqual({ valid: false, reason: 'superseded' });
    expect(await store.create(account)).toEqual({ created: false, reason: 'stale' });
    expect(await store.list(account.tag)).toEqual([]);
    const fresh = await created(store, { ...account, authVersion: 2, revision: 2 });
    expect((await reader.validate(fresh.token)).valid).toBe(true);
  });

  it('when the version moved on, then superseded sessions leave the list and do not count against the cap', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, { maxSessionsPerUser: 2 });
    const v1 = anAccount();
    const v2 = { ...v1, authVersion: 2, revision: 2 };
    await created(store, v1);
    await created(store, v1);
    await store.syncAccount(v2);
    const first = await created(store, v2); // prunes both superseded sessions instead of evicting
    const second = await created(store, v2);
    expect([first.evicted, second.evicted]).toEqual([[], []]);
    expect((await reader.validate(first.token)).valid).toBe(true);
    expect((await store.list(v1.tag)).map((s) => s.sessionId)).toEqual([
      first.session.sessionId,
      second.session.sessionId,
    ]);
    expect(await keysUnder(redis, `${keyPrefix}{${v1.tag}}:s:`)).toHaveLength(2);

    await store.syncAccount({ ...v2, authVersion: 3, revision: 3 });
    expect(await store.list(v1.tag)).toEqual([]);
    expect(await keysUnder(redis, `${keyPrefix}{${v1.tag}}:s:`)).toEqual([]);
  });

  it('when the account state is missing, then its sessions fail closed', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis);
    const account = anAccount();
    const { token } = await created(store, account);
    await redis.del(`${keyPrefix}{${account.tag}}:u`);
    expect(await reader.validate(token)).toEqual({ valid: false, reason: 'superseded' });
  });

  it('when the list is read, then it shows live sessions oldest first and prunes dead entries', async () => {
    const { store, keyPrefix } = sessionsOn(redis);
    const account = anAccount();
    const a = await created(store, account);
    const b = await created(store, account);
    // A member whose hash vanished (e.g. expired between index prunes) must not be listed.
    await redis.del(`${keyPrefix}{${account.tag}}:s:${parseToken(a.token)?.member}`);
    const list = await store.list(account.tag);
    expect(list).toEqual([b.session]);
    expect(list[0]).toMatchObject({ userAgent: 'vitest', ip: '127.0.0.1' });
    expect(await redis.zcard(`${keyPrefix}{${account.tag}}:ix`)).toBe(1);
  });

  it('when a browser sends a long User-Agent, then 64 bytes of it are kept and the session stays a compact listpack', async () => {
    const { store, keyPrefix } = sessionsOn(redis);
    const account = anAccount();
    const browser =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15 Ünïcödé';
    const { token, session } = await store
      .create(account, { userAgent: browser, ip: '203.0.113.9' })
      .then((r) => (r.created ? r : Promise.reject(new Error('not created'))));
    expect(session.userAgent).toBe(browser.slice(0, 64));
    const key = `${keyPrefix}{${account.tag}}:s:${parseToken(token)?.member}`;
    const encoding = await (async () => {
      if (!('nodes' in redis)) return redis.object('ENCODING', key);
      for (const master of redis.nodes('master')) {
        const e = await master.object('ENCODING', key).catch(() => null);
        if (e) return e;
      }
      return null;
    })();
    expect(encoding).toBe('listpack');
    // Multi-byte characters are never cut in half.
    const multi = await store.create(anAccount(), { userAgent: 'é'.repeat(40) });
    expect(multi.created && multi.session.userAgent).toBe('é'.repeat(32));
  });

  it('when the script cache is flushed, then validation reloads the script and still works', async () => {
    const { store, reader } = sessionsOn(redis);
    const { token } = await created(store, anAccount());
    if ('nodes' in redis) await Promise.all(redis.nodes('master').map((n) => n.script('FLUSH')));
    else await redis.script('FLUSH');
    expect((await reader.validate(token)).valid).toBe(true);
  });

  it('when each script is loaded with SCRIPT LOAD, then Redis reports the SHA the runner uses', async () => {
    const node = 'nodes' in redis ? redis.nodes('master')[0] : redis;
    for (const script of Object.values(sessionScripts)) {
      expect(await node?.script('LOAD', script.lua)).toBe(script.sha);
    }
  });
});

// A server of its own: the assertions count this server's script calls.
describe('session reader coalescing on a single node', () => {
  let server: RedisServer;
  let redis: RedisClient;
  let probe: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedisClient({ url: server.url, service: 'sessions-test', commandTimeoutMs: 5000 });
    await waitForReady(redis);
    probe = new Redis(server.url);
    await probe.script('LOAD', sessionScripts.validate.lua);
  });
  afterAll(async () => {
    redis.disconnect();
    probe.disconnect();
    await server.stop();
  });

  async function scriptCalls(): Promise<number> {
    const stats = await probe.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  }

  it('when 20 validations of different users arrive in one turn, then Redis sees 2 calls and each token gets its own verdict', async () => {
    const { store, reader } = sessionsOn(redis);
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) tokens.push((await created(store, anAccount())).token);
    // Every third token is tampered (wrong secret), every fifth is unknown (revoked).
    const asked = tokens.map((token, i) => (i % 3 === 1 ? `${token.slice(0, -2)}xx` : token));
    for (let i = 4; i < 20; i += 5) await store.revokeToken(tokens[i] as string);
    await probe.config('RESETSTAT');
    const results = await Promise.all(asked.map((token) => reader.validate(token)));
    expect(await scriptCalls()).toBe(2);
    results.forEach((result, i) => {
      if (i % 5 === 4) expect(result).toEqual({ valid: false, reason: 'unknown' });
      else if (i % 3 === 1) expect(result).toEqual({ valid: false, reason: 'mismatch' });
      else expect(result.valid).toBe(true);
    });
  });

  it('when maxBatch is 1, then every validation is its own call', async () => {
    const { store, namespace } = sessionsOn(redis);
    const reader = new SessionReader({ redis, namespace, maxBatch: 1 });
    const tokens = await Promise.all([0, 1, 2].map(async () => (await created(store, anAccount())).token));
    await probe.config('RESETSTAT');
    await Promise.all(tokens.map((t) => reader.validate(t)));
    expect(await scriptCalls()).toBe(3);
  });
});
