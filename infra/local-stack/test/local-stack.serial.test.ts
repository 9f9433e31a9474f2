import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { freePort, isPortFree } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = path.resolve(__dirname, '../../..');
const runner = path.join(repoRoot, 'infra/local-stack/dist/main.js');

/** `npm start` as a user runs it: the compiled runner, every port moved to a free one. */
describe('the local stack (npm start)', () => {
  let child: ChildProcess;
  const ports: Record<string, number> = {};
  const stdout: string[] = [];
  const stderr: string[] = [];
  let readyLine = '';

  beforeAll(async () => {
    if (!fs.existsSync(runner))
      throw new Error('run `npm run build` before this test: the runner is compiled');
    for (const name of [
      'REDWIRE_REDIS_PORT',
      'REDWIRE_POSTGRES_PORT',
      'REDWIRE_GATEWAY_PORT',
      'REDWIRE_GATEWAY_ADMIN_PORT',
      'REDWIRE_USER_PORT',
      'REDWIRE_AUTH_PORT',
      'REDWIRE_WORKER_METRICS_PORT',
    ]) {
      ports[name] = await freePort();
    }
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);
    delete env.REDWIRE_DATA_DIR;
    const proc = spawn(process.execPath, [runner], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    readyLine = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line in 90 s:\n${stderr.join('')}`)), 90000);
      proc.once('exit', (code) => reject(new Error(`runner exited with ${code}:\n${stderr.join('')}`)));
      readline.createInterface({ input: proc.stdout }).on('line', (line) => {
        stdout.push(line);
        if (line.startsWith('redwire ready:')) {
          clearTimeout(timer);
          resolve(line);
        }
      });
    });
  }, 120000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
    }
  });

  it('when everything is ready, then it prints the ready line of API.md exactly once, with no password', async () => {
    expect(readyLine).toBe(
      `redwire ready: gateway=http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT} redis=redis://127.0.0.1:${ports.REDWIRE_REDIS_PORT} ` +
        `postgres=postgres://redwire@127.0.0.1:${ports.REDWIRE_POSTGRES_PORT}/redwire`,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(stdout.filter((line) => line.startsWith('redwire ready:'))).toHaveLength(1);
  });

  it('when it is ready, then each service answers /healthz on its own port', async () => {
    for (const name of [
      'REDWIRE_GATEWAY_PORT',
      'REDWIRE_USER_PORT',
      'REDWIRE_AUTH_PORT',
      'REDWIRE_WORKER_METRICS_PORT',
    ]) {
      const response = await fetch(`http://127.0.0.1:${ports[name]}/healthz`);
      expect(response.status, name).toBe(200);
    }
    const ready = await fetch(`http://127.0.0.1:${ports.REDWIRE_GATEWAY_ADMIN_PORT}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('when /users/… and /auth/… are called through the gateway, then each reaches its own service', async () => {
    const gateway = `http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT}`;
    // Only the user service knows this code: the gateway answers unknown routes with E_NOT_FOUND.
    const user = await fetch(`${gateway}/users/01890a5d-ac96-774b-bcce-b302099a8057`);
    expect(user.status).toBe(404);
    expect(((await user.json()) as { code: string }).code).toBe('E_USER_NOT_FOUND');
    // Only the auth service answers a failed login with E_INVALID_CREDENTIALS.
    const login = await fetch(`${gateway}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-123' }),
    });
    expect(login.status).toBe(401);
    expect(((await login.json()) as { code: string }).code).toBe('E_INVALID_CREDENTIALS');
  });

  it('when it is ready, then it has created the admin itself, printed its password once, and nobody can claim the address', async () => {
    const gateway = `http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT}`;
    const json = { 'content-type': 'application/json' };
    const printed = stderr
      .join('')
      .split('\n')
      .filter((line) => line.includes('admin admin@redwire.local password'));
    expect(printed).toHaveLength(1);
    expect(stdout.some((line) => line.includes('password'))).toBe(false);
    const password = /shown once, not stored anywhere\): (\S+)$/.exec(printed[0] ?? '')?.[1] ?? '';
    // The first caller cannot register the admin address with a password of their choosing …
    const claim = await fetch(`${gateway}/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email: 'admin@redwire.local', password: 'attacker-chosen-password', name: 'M' }),
    });
    expect(claim.status).toBe(409);
    // … while the printed password signs in as admin, and any other registration gets role user.
    const login = async (email: string, pw: string) =>
      (await (
        await fetch(`${gateway}/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ email, password: pw }),
        })
      ).json()) as { user?: { role: string } };
    expect((await login('admin@redwire.local', password)).user?.role).toBe('admin');
    const email = `someone-${Date.now()}@example.com`;
    const registered = await fetch(`${gateway}/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password: 'a-password-of-their-own', name: 'S' }),
    });
    expect(registered.status).toBe(201);
    expect((await login(email, 'a-password-of-their-own')).user?.role).toBe('user');
  });

  it('when a profile is read through the gateway with and without a session, then both answers are private and vary on the credentials; auth answers are no-store', async () => {
    const gateway = `http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT}`;
    const json = { 'content-type': 'application/json' };
    const email = `viewer-${Date.now()}@example.com`;
    const password = 'a-password-of-their-own';
    const registered = await fetch(`${gateway}/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password, name: 'V' }),
    });
    expect(registered.headers.get('cache-control')).toBe('no-store');
    const id = ((await registered.json()) as { user: { id: string } }).user.id;
    const login = await fetch(`${gateway}/auth/login`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ email, password }),
    });
    const { token } = (await login.json()) as { token: string };
    const anonymous = await fetch(`${gateway}/users/${id}`);
    const self = await fetch(`${gateway}/users/${id}`, { headers: { authorization: `Bearer ${token}` } });
    for (const res of [anonymous, self]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('private, no-cache');
      expect(res.headers.get('vary')).toBe('Authorization, Cookie');
      expect(res.headers.get('etag')).toBe('"1"');
    }
    expect('email' in ((await anonymous.json()) as object)).toBe(false);
    expect(((await self.json()) as { email?: string }).email).toBe(email);
    const me = await fetch(`${gateway}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.headers.get('cache-control')).toBe('no-store');
  });

  it('when it gets Ctrl-C (SIGINT), then it exits 0 and leaves no process and no port behind', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const [name, port] of Object.entries(ports)) {
      expect(await isPortFree(port), `${name} (${port}) still open`).toBe(true);
    }
  }, 60000);
});
