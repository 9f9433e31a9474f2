import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { isPortFree, pollUntil, processTree } from '@redwire/launchers';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, signUp, startRunner } from './support/runner';

const repoRoot = path.resolve(__dirname, '../../..');

/** The runner's child running `entry` (e.g. `services/user/dist/worker.js`), found among its own children. */
function childRunning(stack: Runner, entry: string): number | undefined {
  const [, ...descendants] = processTree(stack.pid);
  return descendants.find((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(entry);
    } catch {
      return false;
    }
  });
}

const until = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000) =>
  pollUntil(probe, { what, timeoutMs, intervalMs: 100 });

/** A runner started before the describe block's tests and killed after them, whatever happened. */
function useRunner(): () => Runner {
  let stack: Runner | undefined;
  beforeAll(async () => {
    stack = await startRunner();
  }, 120000);
  afterAll(() => {
    if (stack?.service.running) void stack.service.stop('SIGKILL');
  });
  return () => {
    if (!stack) throw new Error('the runner did not start');
    return stack;
  };
}

async function stopWithSigint(stack: Runner): Promise<number | null> {
  void stack.service.stop('SIGINT');
  return stack.exited;
}

describe('the local stack (npm start)', () => {
  const runner = useRunner();
  let stack: Runner;
  beforeAll(() => {
    stack = runner();
  });

  it('when everything is ready, then it prints the ready line exactly once, with no password and the cache Redis appended', async () => {
    const { ports } = stack;
    expect(stack.readyLine).toBe(
      `redwire ready: gateway=http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT} redis=redis://127.0.0.1:${ports.REDWIRE_REDIS_PORT} ` +
        `postgres=postgres://redwire@127.0.0.1:${ports.REDWIRE_POSTGRES_PORT}/redwire cache=redis://127.0.0.1:${ports.REDWIRE_CACHE_REDIS_PORT}`,
    );
    await sleep(300);
    expect(stack.stdout.filter((line) => line.startsWith('redwire ready:'))).toHaveLength(1);
  });

  it('when it is ready, then each service answers /healthz on its own port', async () => {
    for (const name of [
      'REDWIRE_GATEWAY_PORT',
      'REDWIRE_USER_PORT',
      'REDWIRE_AUTH_PORT',
      'REDWIRE_WORKER_METRICS_PORT',
    ] as const) {
      const response = await fetch(`http://127.0.0.1:${stack.ports[name]}/healthz`);
      expect(response.status, name).toBe(200);
    }
    const ready = await fetch(`http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_ADMIN_PORT}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('when it runs, then the state Redis never evicts and the cache Redis is a bounded LRU without persistence, as compose runs them', async () => {
    const config = async (port: number) => {
      const redis = new Redis(port, '127.0.0.1', { lazyConnect: true });
      await redis.connect();
      try {
        const read = async (name: string) => ((await redis.config('GET', name)) as string[])[1];
        return {
          policy: await read('maxmemory-policy'),
          maxmemory: await read('maxmemory'),
          appendonly: await read('appendonly'),
          save: await read('save'),
        };
      } finally {
        redis.disconnect();
      }
    };
    expect(await config(stack.ports.REDWIRE_REDIS_PORT)).toMatchObject({ policy: 'noeviction' });
    expect(await config(stack.ports.REDWIRE_CACHE_REDIS_PORT)).toEqual({
      policy: 'allkeys-lru',
      maxmemory: String(128 * 1024 * 1024),
      appendonly: 'no',
      save: '',
    });
  });

  it('when /users/… and /auth/… are called through the gateway, then each reaches its own service', async () => {
    const gateway = `http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`;
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

  it("when the README's first requests are pasted into sh, then they register, log in, read the profile (MISS, then HIT) and update it", async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((b) => b.includes('field()'));
    expect(block, 'the README has a sh block defining field()').toBeDefined();
    // The README tells a reader who moved the gateway to change this one line, which is what the test does.
    const script = (block ?? '').replace(
      /^gw=\S+/m,
      `gw=http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`,
    );
    expect(script).not.toBe(block);
    const env = {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    };
    const { stdout } = await promisify(execFile)('sh', ['-c', script], { env, timeout: 30_000 });
    expect(stdout).toMatch(/^\{"user":\{"id":"[0-9a-f-]{36}","email":"ada@example\.com"/);
    expect([...stdout.matchAll(/^x-cache: (\w+)/gim)].map((m) => m[1])).toEqual(['MISS', 'HIT']);
    expect(stdout).toMatch(
      /"bio":"Analytical engines","createdAt":"[^"]+","updatedAt":"[^"]+","version":2\}\s*$/,
    );
  });

  it('when it is ready, then it has created the admin itself, printed its password once, and nobody can claim the address', async () => {
    const gateway = `http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`;
    const json = { 'content-type': 'application/json' };
    const printed = stack.stderr.filter((line) => line.includes('admin admin@redwire.local password'));
    expect(printed).toHaveLength(1);
    expect(stack.stdout.some((line) => line.includes('password'))).toBe(false);
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
    const gateway = `http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`;
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

  it('when the user worker is killed, then the runner restarts it and the write made meanwhile reaches the stream and both consumer groups', async () => {
    const gateway = `http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`;
    const ada = await signUp(gateway);
    const worker = childRunning(stack, 'services/user/dist/worker.js');
    expect(worker).toBeDefined();
    process.kill(worker as number, 'SIGKILL');
    // Committed while no relay runs: the row and its outbox event wait in PostgreSQL.
    const write = await fetch(`${gateway}/users/${ada.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ bio: 'written while the worker was down' }),
    });
    expect(write.status).toBe(200);
    const { version } = (await write.json()) as { version: number };

    await until(
      () => stack.stderr.some((l) => /\[stack\] user-worker restarted \(pid \d+\)/.test(l)),
      'restart',
    );
    expect(stack.stderr.join('\n')).toContain(
      '[stack] user-worker was killed by SIGKILL; restarting in 250 ms (crash 1 of 5 allowed within 60 s)',
    );
    const restarted = childRunning(stack, 'services/user/dist/worker.js');
    expect(restarted).toBeDefined();
    expect(restarted).not.toBe(worker);

    const db = new pg.Client({
      connectionString: `postgres://redwire@127.0.0.1:${stack.ports.REDWIRE_POSTGRES_PORT}/redwire`,
    });
    const redis = new Redis(stack.ports.REDWIRE_REDIS_PORT, '127.0.0.1');
    await db.connect();
    try {
      const eventId = await until(async () => {
        const published = await db.query<{ event_id: string }>(
          'SELECT event_id FROM users.outbox WHERE user_id = $1 AND version = $2 AND published_at IS NOT NULL',
          [ada.id, version],
        );
        return published.rows[0]?.event_id;
      }, 'the outbox row published');
      const stream = 'user:stream:{user-events}';
      const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
      const entry = entries.find(([, fields]) => fields.includes(eventId));
      expect(entry, 'the event is in the stream').toBeDefined();
      // Each group delivered it and acknowledged it: nothing pending, its cursor past the entry.
      await until(async () => {
        const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
        const byName = new Map(
          groups.map((raw) => {
            const fields = new Map<string, unknown>();
            for (let i = 0; i < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
            return [String(fields.get('name')), fields] as const;
          }),
        );
        return ['user-cache', 'auth'].every((group) => {
          const info = byName.get(group);
          const last = String(info?.get('last-delivered-id') ?? '0-0');
          return info?.get('pending') === 0 && compareIds(last, (entry as [string, string[]])[0]) >= 0;
        });
      }, 'both groups handled the event');
    } finally {
      await db.end();
      redis.disconnect();
    }
    // The stack stayed up all along: ready, and the ready line was not printed again.
    expect((await fetch(`http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_ADMIN_PORT}/readyz`)).status).toBe(
      200,
    );
    expect(stack.stdout.filter((line) => line.startsWith('redwire ready:'))).toHaveLength(1);
  }, 60000);

  it('when it gets Ctrl-C (SIGINT), then it exits 0 and leaves no process and no port behind', async () => {
    const members = processTree(stack.pid);
    expect(await stopWithSigint(stack)).toBe(0);
    for (const [name, port] of Object.entries(stack.ports)) {
      expect(await isPortFree(port), `${name} (${port}) still open`).toBe(true);
    }
    await sleep(200);
    const left = members.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
  }, 60000);
});

describe('the local stack when a service keeps crashing', () => {
  const runner = useRunner();
  let stack: Runner;
  beforeAll(() => {
    stack = runner();
  });

  it('when auth is killed 5 times within 60 s, then the runner gives up with a clear message, stops everything and exits 1', async () => {
    let last: number | undefined;
    for (let crash = 1; crash <= 5; crash++) {
      const pid = await until(() => {
        const found = childRunning(stack, 'services/auth/dist/main.js');
        return found !== last ? found : undefined;
      }, `auth running again (crash ${crash})`);
      last = pid;
      process.kill(pid, 'SIGKILL');
    }
    const code = await Promise.race([stack.exited, sleep(40_000, 'timeout' as const)]);
    expect(code).toBe(1);
    const log = stack.stderr.join('\n');
    expect(log).toContain(
      '[stack] auth crashed 5 times within 60 s (last: was killed by SIGKILL); giving up: stopping the stack',
    );
    expect(log).toContain('restarting in 2000 ms (crash 4 of 5 allowed within 60 s)');
    for (const [name, port] of Object.entries(stack.ports)) {
      expect(await isPortFree(port), `${name} (${port}) still open`).toBe(true);
    }
  }, 90000);
});

/** Orders stream ids (`ms-seq`). */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
