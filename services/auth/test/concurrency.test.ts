import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD } from './support/auth-stack';

describe('auth under concurrency', () => {
  let f: AuthFixture;
  let db: pg.Client;
  beforeAll(async () => {
    f = await authFixture();
    db = new pg.Client({ connectionString: f.dbUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await f.close();
  });

  async function account(email: string) {
    const { rows } = await db.query<{ id: string; session_tag: string; auth_version: string }>(
      'SELECT id, session_tag, auth_version FROM auth.accounts WHERE email = $1',
      [email],
    );
    const row = rows[0];
    if (!row) throw new Error('no account');
    return { id: row.id, tag: row.session_tag, authVersion: row.auth_version };
  }

  async function sessionKeys(tag: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await f.redis.scan(
        cursor,
        'MATCH',
        `${f.namespace}:auth:session:{${tag}}:s:*`,
        'COUNT',
        1000,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  }

  it('when 50 logins run in parallel, then exactly 10 sessions live and the index matches them', async () => {
    const email = anEmail();
    await f.register(email);
    const replies = await Promise.all(
      Array.from({ length: 50 }, () =>
        f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } }),
      ),
    );
    expect(replies.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
    const tokens = replies.map((r) => r.body.token as string);
    const valid = await Promise.all(tokens.map(async (t) => (await f.gw.reader.validate(t)).valid));
    expect(valid.filter(Boolean)).toHaveLength(10);

    const { tag } = await account(email);
    const live = tokens
      .filter((_, i) => valid[i])
      .map((t) => (t.split('.')[0] as string).slice(16))
      .sort();
    const keyMembers = (await sessionKeys(tag)).map((k) => k.split(':s:')[1]).sort();
    const indexed = (await f.redis.zrange(`${f.namespace}:auth:session:{${tag}}:ix`, '0', '-1')).sort();
    expect(keyMembers).toEqual(live);
    expect(indexed).toEqual(live);
    const listed = await f.gw.call('GET', '/auth/sessions', { token: tokens[valid.indexOf(true)] });
    expect((listed.body.sessions as unknown[]).length).toBe(10);
  });

  it('when logins race a password change, then no session of the old auth version survives', async () => {
    let landedBefore = 0;
    let refused = 0;
    for (let round = 0; round < 8; round++) {
      const email = anEmail();
      await f.register(email);
      const { token } = await f.login(email);
      const newPassword = `a brand new passphrase ${round}`;
      const change = f.gw.call('POST', '/auth/password', {
        token,
        body: { currentPassword: PASSWORD, newPassword },
      });
      // Staggered starts, so over the rounds logins verify the old password before, across and after the
      // change commits: some get a session first (revoked by it), some are fenced at creation, some fail.
      const logins = Array.from({ length: 4 }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (round * 4 + i) * 12));
        return f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
      });
      const [changed, ...results] = await Promise.all([change, ...logins]);
      expect(changed.status).toBe(200);
      for (const result of results) {
        if (result.status !== 200) {
          refused++;
          continue;
        }
        landedBefore++;
        expect((await f.gw.reader.validate(result.body.token as string)).valid).toBe(false);
      }
      const { tag, authVersion } = await account(email);
      const versions = await Promise.all((await sessionKeys(tag)).map((k) => f.redis.hget(k, 'av')));
      expect(versions).toEqual([authVersion]); // only the session the password change issued
      expect((await f.gw.reader.validate(changed.body.token as string)).valid).toBe(true);
    }
    console.info(
      `login vs password change: ${landedBefore} logins got a session first (then revoked), ${refused} refused`,
    );
  });
});
