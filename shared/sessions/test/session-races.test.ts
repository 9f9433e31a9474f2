import type { RedisClient } from '@redwire/redis-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToken, SessionReader, SessionStore } from '../src';
import { anAccount, backends, connect, created, keysUnder, sessionsOn } from './support/backends';

describe.each(backends)('session races on %s', (backend) => {
  // Separate connections, so the racing commands really interleave at the server.
  let a: RedisClient;
  let b: RedisClient;
  beforeAll(async () => {
    [a, b] = await Promise.all([connect(backend), connect(backend)]);
  });
  afterAll(() => {
    a.disconnect();
    b.disconnect();
  });

  it('when revoke and touch race 1000 times, then the session is gone every time', async () => {
    const { store, keyPrefix, namespace } = sessionsOn(a);
    // Interval 0: every validation writes, the worst case for resurrection.
    const toucher = new SessionReader({ redis: b, namespace, touchIntervalMs: 0 });
    const account = anAccount();
    let survivors = 0;
    for (let i = 0; i < 1000; i++) {
      const { token, session } = await created(store, account);
      await Promise.all([
        toucher.validate(token),
        toucher.validate(token),
        store.revoke(session.sessionId, account.userId),
        toucher.validate(token),
      ]);
      const key = `${keyPrefix}{${account.tag}}:s:${parseToken(token)?.member}`;
      survivors += await a.exists(key);
      if ((await toucher.validate(token)).valid) survivors++;
    }
    expect(survivors).toBe(0);
    expect(await store.list(account.tag)).toEqual([]);
  });

  it('when 50 logins run in parallel, then exactly 10 sessions live and the index matches them', async () => {
    const { store, reader, keyPrefix, namespace } = sessionsOn(a);
    const other = new SessionReader({ redis: b, namespace });
    const account = anAccount();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.create(account, { userAgent: `client ${i}` })),
    );
    const tokens = results.map((r) => (r.created ? r.token : ''));
    expect(tokens.every(Boolean)).toBe(true);
    const valid = await Promise.all(
      tokens.map(async (t, i) => (await (i % 2 ? reader : other).validate(t)).valid),
    );
    expect(valid.filter(Boolean)).toHaveLength(10);
    const liveIds = tokens.filter((_, i) => valid[i]).map((t) => parseToken(t)?.member);
    const sessionKeys = (await keysUnder(a, `${keyPrefix}{${account.tag}}:s:`)).map((k) => k.split(':s:')[1]);
    const indexed = await a.zrange(`${keyPrefix}{${account.tag}}:ix`, '0', '-1');
    expect(sessionKeys.sort()).toEqual([...liveIds].sort());
    expect([...indexed].sort()).toEqual([...liveIds].sort());
    expect(await store.list(account.tag)).toHaveLength(10);
  });

  it('when logins race a password change, then no session of the old version survives', async () => {
    const { store, reader, keyPrefix, namespace } = sessionsOn(a);
    const racingStore = new SessionStore({ redis: b, namespace });
    const seen = { created: 0, stale: 0 };
    for (let round = 0; round < 100; round++) {
      const v1 = anAccount();
      const v2 = { ...v1, authVersion: 2, revision: 2 };
      await created(store, v1);
      const logins = Array.from({ length: 4 }, () => racingStore.create(v1));
      const change = (async () => {
        await store.syncAccount(v2);
        await store.revokeAll(v1.tag);
      })();
      const [outcomes] = await Promise.all([Promise.all(logins), change]);
      for (const outcome of outcomes) {
        seen[outcome.created ? 'created' : 'stale']++;
        if (outcome.created) expect((await reader.validate(outcome.token)).valid).toBe(false);
      }
      const versions = await Promise.all(
        (await keysUnder(a, `${keyPrefix}{${v1.tag}}:s:`)).map((key) => a.hget(key, 'av')),
      );
      expect(versions.filter((v) => v === '1')).toEqual([]);
    }
    // Both orders happened, so the fence (not luck) is what killed the racing sessions.
    console.info(`password-change race: ${seen.created} logins landed before the fence, ${seen.stale} after`);
    expect(seen.created + seen.stale).toBe(400);
  });
});
