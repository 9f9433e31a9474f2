import { Writable } from 'node:stream';
import { createLogger } from '@redwire/observability';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD } from './support/auth-stack';

describe('login security', () => {
  let f: AuthFixture;
  const verifications: string[] = [];
  const logLines: string[] = [];
  beforeAll(async () => {
    const destination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    f = await authFixture(
      { LOGIN_BACKOFF_AFTER: '3', LOGIN_BACKOFF_BASE: '60s', LOG_LEVEL: 'trace' },
      {
        onVerify: (kind) => verifications.push(kind),
        logger: createLogger({ service: 'redwire-auth', level: 'trace', destination }),
      },
    );
  });
  afterAll(() => f.close());

  const login = (email: string, password: string) =>
    f.gw.call('POST', '/auth/login', { body: { email, password } });

  it('when the user is unknown or the password wrong, then both answers match and both verify once', async () => {
    const email = anEmail();
    await f.register(email);
    verifications.length = 0;
    const unknown = await login(anEmail('nobody'), PASSWORD);
    expect(verifications).toEqual(['dummy']);
    const wrong = await login(email, 'a wrong password of length');
    expect(verifications).toEqual(['dummy', 'account']);
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const { instance: i1, ...a } = unknown.body;
    const { instance: i2, ...b } = wrong.body;
    expect(a).toEqual(b);
    expect(a.code).toBe('E_INVALID_CREDENTIALS');
    expect(i1).not.toEqual(i2);
    expect(unknown.headers.get('set-cookie')).toBeNull();
    expect(wrong.headers.get('content-type')).toBe(unknown.headers.get('content-type'));
  });

  it('when failures pile up for an email, then it backs off whether or not the account exists', async () => {
    const known = anEmail('known');
    const unknown = anEmail('unknown');
    await f.register(known);
    for (const email of [known, unknown]) {
      for (let i = 0; i < 3; i++) expect((await login(email, 'wrong password, wrong!')).status).toBe(401);
      verifications.length = 0;
      // Locked now: even the right password is refused, after one (dummy) verification, with the same body.
      const locked = await login(email, PASSWORD);
      expect(locked.status).toBe(401);
      expect(locked.body.code).toBe('E_INVALID_CREDENTIALS');
      expect(verifications).toEqual(['dummy']);
    }
    // A differently spelled but equal email shares the back-off.
    expect((await login(` ${known.toUpperCase()}`, PASSWORD)).status).toBe(401);
  });

  it('when a login succeeds, then earlier failures are forgotten', async () => {
    const email = anEmail();
    await f.register(email);
    for (let i = 0; i < 2; i++) await login(email, 'wrong password, wrong!');
    expect((await login(email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 2; i++) await login(email, 'wrong password, wrong!');
    expect((await login(email, PASSWORD)).status).toBe(200);
  });

  it('when a disabled or still-pending account logs in, then it gets the generic 401', async () => {
    const email = anEmail();
    const id = await f.register(email);
    const db = new pg.Client({ connectionString: f.dbUrl });
    await db.connect();
    try {
      for (const status of ['disabled', 'pending']) {
        await db.query('UPDATE auth.accounts SET status = $2 WHERE id = $1', [id, status]);
        const res = await login(email, PASSWORD);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('E_INVALID_CREDENTIALS');
      }
    } finally {
      await db.end();
    }
  });

  it('when the Argon2 parameters are raised, then the next login re-hashes the password with them', async () => {
    const email = anEmail();
    const id = await f.register(email);
    const storedHash = async () => {
      const db = new pg.Client({ connectionString: f.dbUrl });
      await db.connect();
      try {
        const { rows } = await db.query<{ h: string }>(
          'SELECT password_hash AS h FROM auth.accounts WHERE id = $1',
          [id],
        );
        return rows[0]?.h ?? '';
      } finally {
        await db.end();
      }
    };
    expect(await storedHash()).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // A new release with a higher cost, same database.
    const upgraded = await f.startSibling({ ARGON2_TIME_COST: '3' });
    const viaUpgraded = () =>
      fetch(`${upgraded.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
    expect((await viaUpgraded()).status).toBe(200);
    const rehashed = await storedHash();
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
    expect((await viaUpgraded()).status).toBe(200);
    expect(await storedHash()).toBe(rehashed); // no second re-hash
  });

  it('when Redis is scanned and the logs are read after logins, then neither holds a token, secret or password', async () => {
    const email = anEmail();
    await f.register(email);
    const tokens = [(await f.login(email)).token, (await f.login(email)).token];
    await f.gw.call('GET', '/auth/me', { token: tokens[0] });
    await f.gw.call('POST', '/auth/logout', { token: tokens[1] });
    await f.gw.call('POST', '/auth/logout', { headers: { cookie: `__Host-sid=${tokens[0]}` } });

    const dump: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await f.redis.scan(cursor, 'MATCH', `${f.namespace}:*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        dump.push(key);
        const type = await f.redis.type(key);
        if (type === 'hash') dump.push(...Object.values(await f.redis.hgetall(key)));
        if (type === 'zset') dump.push(...(await f.redis.zrange(key, '0', '-1')));
        if (type === 'string') dump.push((await f.redis.get(key)) ?? '');
        if (type === 'stream') dump.push(JSON.stringify(await f.redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
    const redisText = dump.join('\n');
    const logText = logLines.join('');
    expect(logLines.length).toBeGreaterThan(5);
    for (const token of tokens) {
      const secret = token.split('.')[1] as string;
      for (const text of [redisText, logText]) {
        expect(text).not.toContain(secret);
      }
    }
    expect(redisText).not.toContain(email);
    expect(logText).not.toContain(PASSWORD);
  });
});
