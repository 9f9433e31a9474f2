import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, grantAdmin } from '../src/accounts/admin-commands';
import { type AuthFixture, anEmail, authFixture, PASSWORD, SIGNING_KEY } from './support/auth-stack';

// No role is granted because an address registered (ADMIN_EMAILS once did that, so whoever registered the
// listed address first owned the deployment). Admins come from the operator's command, run next to the
// service with its configuration; PATCH /auth/accounts/:id stays the admins' way afterwards.

const CLI = path.resolve(__dirname, '../dist/admin.js');

describe('admin without takeover', () => {
  let f: AuthFixture;
  beforeAll(async () => {
    // The old variable is still set, as a deployment upgraded in place would have it: it must do nothing.
    f = await authFixture({ ADMIN_EMAILS: 'admin@redwire.local' });
  });
  afterAll(() => f.close());

  const roleOf = async (token: string) =>
    ((await f.gw.call('GET', '/auth/me', { token })).body.user as { role: string }).role;

  it('when somebody registers the address ADMIN_EMAILS used to name, then the account has role user and no admin power', async () => {
    await f.register('admin@redwire.local');
    const { token, userId } = await f.login('admin@redwire.local');
    expect(await roleOf(token)).toBe('user');
    const res = await f.gw.call('PATCH', `/auth/accounts/${userId}`, { token, body: { role: 'admin' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('E_FORBIDDEN');
    expect(await roleOf(token)).toBe('user');
  });

  it('when a registration body asks for a role, then 400 and nothing is created', async () => {
    const email = anEmail('role');
    const res = await f.gw.call('POST', '/auth/register', {
      body: { email, password: PASSWORD, name: 'Mallory', role: 'admin' },
    });
    expect(res.status).toBe(400);
    expect((res.body.errors as Record<string, string[]>).role).toEqual(['Unknown field']);
    const { rowCount } = await f.auth.runtime.pool.query('SELECT 1 FROM auth.accounts WHERE email = $1', [
      email,
    ]);
    expect(rowCount).toBe(0);
  });

  it('when the operator grants admin to a registered account, then its live session is admin at its next request and may PATCH accounts', async () => {
    const email = anEmail('ops');
    await f.register(email);
    const { token } = await f.login(email);
    expect(await roleOf(token)).toBe('user');
    expect(await grantAdmin(f.auth.runtime, email.toUpperCase())).toMatchObject({ kind: 'granted' });
    expect(await roleOf(token)).toBe('admin');
    expect(await grantAdmin(f.auth.runtime, email)).toMatchObject({ kind: 'already_admin' });

    const target = anEmail('target');
    const targetId = await f.register(target);
    const res = await f.gw.call('PATCH', `/auth/accounts/${targetId}`, { token, body: { tier: 'pro' } });
    expect(res.status).toBe(200);
    expect(res.body.account).toMatchObject({ id: targetId, role: 'user', tier: 'pro' });
  });

  it('when the operator grants an address nobody registered, then nothing is created', async () => {
    const email = anEmail('ghost');
    expect(await grantAdmin(f.auth.runtime, email)).toEqual({ kind: 'no_account' });
    expect((await f.auth.runtime.accounts.findByEmail(email)) === undefined).toBe(true);
  });

  it('when the operator creates an admin, then it logs in with the generated password once; an address already registered is never promoted by create', async () => {
    const email = anEmail('first-admin');
    const created = await createAdmin(f.auth.runtime, email);
    if (created.kind !== 'created') throw new Error(created.kind);
    expect(created.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const { token } = await f.login(email, created.password);
    expect(await roleOf(token)).toBe('admin');

    const squatted = anEmail('squatted');
    await f.register(squatted);
    expect(await createAdmin(f.auth.runtime, squatted)).toMatchObject({ kind: 'exists', role: 'user' });
    expect((await f.auth.runtime.accounts.findByEmail(squatted))?.role).toBe('user');
  });
});

describe('the admin command as a process (dist/admin.js)', () => {
  let f: AuthFixture;
  let env: Record<string, string>;
  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error('run `npm run build` first: the command is compiled');
    f = await authFixture();
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: f.dbUrl,
      REDIS_URL: f.config.REDIS_URL ?? '',
      REDIS_NAMESPACE: f.namespace,
      IDENTITY_SIGNING_KEY: SIGNING_KEY,
      USER_SERVICE_URL: f.peer.url,
    };
  });
  afterAll(() => f.close());

  function run(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  }

  it('when run with grant, create or nonsense, then exit codes and output say what happened', async () => {
    const email = anEmail('cli');
    expect((await run('grant', email)).code).toBe(1); // not registered yet
    await f.register(email);
    const { token } = await f.login(email);
    const granted = await run('grant', email);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toContain(`granted role admin to ${email}`);
    expect(((await f.gw.call('GET', '/auth/me', { token })).body.user as { role: string }).role).toBe(
      'admin',
    );

    const fresh = anEmail('cli-create');
    const created = await run('create', fresh);
    expect(created.code, created.stderr).toBe(0);
    const password = /^password: (\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect((await f.login(fresh, password)).token).toBeTruthy();

    const user = anEmail('cli-user');
    await f.register(user);
    expect((await run('create', user)).code).toBe(3);
    expect((await run('promote', user)).code).toBe(2);
    expect((await run('grant', 'not-an-email')).code).toBe(2);
  }, 60_000);

  it('when the configured secret is a public development value without ALLOW_DEV_SECRETS, then the command refuses to run', async () => {
    const saved = env.IDENTITY_SIGNING_KEY as string;
    env.IDENTITY_SIGNING_KEY = 'dev-only-identity-signing-key-do-not-use-in-production';
    try {
      const refused = await run('grant', anEmail());
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ALLOW_DEV_SECRETS=true');
    } finally {
      env.IDENTITY_SIGNING_KEY = saved;
    }
  });
});
