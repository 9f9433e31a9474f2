import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isPortFree, pollUntil, processTree } from '@redwire/launchers';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, signUp, startRunner } from './support/runner';

// The CI smoke of REDWIRE_REDIS_TOPOLOGY=cluster: the real runner with the state role as a Redis Cluster of
// 3 masters with 1 replica each, and the README flow through it.

const repoRoot = path.resolve(__dirname, '../../..');
const json = { 'content-type': 'application/json' };

/** The state cluster's nodes (`port` and role), as the runner's first node sees them. */
async function clusterNodes(port: number): Promise<{ port: number; master: boolean }[]> {
  const redis = new Redis(port, '127.0.0.1', { lazyConnect: true });
  await redis.connect();
  try {
    const lines = ((await redis.call('CLUSTER', 'NODES')) as string).trim().split('\n');
    return lines.map((line) => {
      const [, address = '', flags = ''] = line.split(' ');
      return { port: Number(address.split('@')[0]?.split(':')[1]), master: flags.includes('master') };
    });
  } finally {
    redis.disconnect();
  }
}

describe('the local stack on a Redis Cluster (REDWIRE_REDIS_TOPOLOGY=cluster)', () => {
  let stack: Runner;
  let gateway: string;
  beforeAll(async () => {
    // L1 on: its fan-out follows the user-events stream on the cluster too.
    stack = await startRunner({ REDWIRE_REDIS_TOPOLOGY: 'cluster', USER_CACHE_L1: 'true' });
    gateway = `http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`;
  }, 120_000);
  afterAll(() => {
    if (stack?.service.running) void stack.service.stop('SIGKILL');
  });

  it('when it is ready, then the ready line has the usual format, redis= naming the first master of a 3 × 1 cluster', async () => {
    const { ports } = stack;
    expect(stack.readyLine).toBe(
      `redwire ready: gateway=http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT} redis=redis://127.0.0.1:${ports.REDWIRE_REDIS_PORT} ` +
        `postgres=postgres://redwire@127.0.0.1:${ports.REDWIRE_POSTGRES_PORT}/redwire cache=redis://127.0.0.1:${ports.REDWIRE_CACHE_REDIS_PORT}`,
    );
    const nodes = await clusterNodes(ports.REDWIRE_REDIS_PORT);
    expect(nodes).toHaveLength(6);
    expect(nodes.filter((n) => n.master)).toHaveLength(3);
    expect(nodes.find((n) => n.port === ports.REDWIRE_REDIS_PORT)?.master).toBe(true);
    // The cache role stays one node, not a cluster.
    const cache = new Redis(ports.REDWIRE_CACHE_REDIS_PORT, '127.0.0.1', { lazyConnect: true });
    await cache.connect();
    try {
      expect(await cache.info('cluster')).toContain('cluster_enabled:0');
    } finally {
      cache.disconnect();
    }
  });

  it("when the README's first requests are pasted into sh, then they register, log in, read the profile (MISS, then HIT) and update it", async () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((m) => m[1] ?? '')
      .find((b) => b.includes('field()'));
    expect(block, 'the README has a sh block defining field()').toBeDefined();
    const script = (block ?? '').replace(/^gw=\S+/m, `gw=${gateway}`);
    const env = {
      ...process.env,
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    };
    const { stdout } = await promisify(execFile)('sh', ['-c', script], { env, timeout: 30_000 });
    expect(stdout).toMatch(/^\{"user":\{"id":"[0-9a-f-]{36}","email":"ada@example\.com"/);
    expect([...stdout.matchAll(/^x-cache: (\w+)/gim)].map((m) => m[1])).toEqual(['MISS', 'HIT']);
    expect(stdout).toMatch(/"bio":"Analytical engines".*"version":2\}\s*$/);
  });

  it('when a cached profile is written, then the next read shows the write; after logout the old token gets 401', async () => {
    const { id: userId, token } = await signUp(gateway, {
      email: `grace-${Date.now()}@example.com`,
      password: 'correct horse battery staple',
      name: 'Grace',
    });
    const auth = { authorization: `Bearer ${token}` };
    const read = async () => {
      const res = await fetch(`${gateway}/users/${userId}`, { headers: auth });
      expect(res.status).toBe(200);
      return {
        cache: res.headers.get('x-cache'),
        body: (await res.json()) as { bio: string; version: number },
      };
    };
    expect((await read()).cache).toBe('MISS');
    expect(await read()).toMatchObject({ cache: 'HIT', body: { bio: '', version: 1 } });
    for (const [version, bio] of [
      [2, 'COBOL'],
      [3, 'compilers'],
    ] as const) {
      const write = await fetch(`${gateway}/users/${userId}`, {
        method: 'PATCH',
        headers: { ...auth, ...json },
        body: JSON.stringify({ bio }),
      });
      expect(write.status).toBe(200);
      // Read-your-writes: the entry cached before the write is never served after it.
      expect((await read()).body).toMatchObject({ bio, version });
      expect((await read()).body).toMatchObject({ bio, version });
    }

    const logout = await fetch(`${gateway}/auth/logout`, { method: 'POST', headers: auth });
    expect(logout.status).toBe(204);
    // A revocation takes effect within 1 s (docs/api.md), on a cluster as on one node.
    const started = Date.now();
    await pollUntil(
      async () => (await fetch(`${gateway}/users/${userId}`, { headers: auth })).status === 401,
      { what: 'the old token refused', timeoutMs: 1500, intervalMs: 50 },
    );
    expect(Date.now() - started).toBeLessThanOrEqual(1500);
  });

  it('when writes were made, then the user-events stream on the cluster was handled by both consumer groups and BullMQ runs under its hash tag', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: stack.ports.REDWIRE_REDIS_PORT }]);
    try {
      const stream = 'user:stream:{user-events}';
      const last = ((await cluster.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][])[0]?.[0];
      expect(last).toBeDefined();
      await pollUntil(
        async () => {
          const groups = (await cluster.xinfo('GROUPS', stream)) as unknown[][];
          const handled = groups.map((raw) => {
            const fields = new Map<string, unknown>();
            for (let i = 0; i < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
            return fields.get('pending') === 0 && fields.get('last-delivered-id') === last
              ? String(fields.get('name'))
              : undefined;
          });
          return ['auth', 'user-cache'].every((name) => handled.includes(name));
        },
        { what: 'both groups past the last entry with nothing pending', timeoutMs: 10_000, intervalMs: 100 },
      );
      // The worker scheduled its outbox cleanup: BullMQ's keys live in the `{jobs}` slot.
      expect(await cluster.exists('user:{jobs}:outbox-maintenance:meta')).toBe(1);
    } finally {
      cluster.disconnect();
    }
  });

  it('when a master other than the first is killed, then the runner restarts it from its append-only file and every signed-in session still answers', async () => {
    const account = { email: `linus-${Date.now()}@example.com`, password: 'correct horse battery staple' };
    await fetch(`${gateway}/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...account, name: 'L' }),
    });
    const sessions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const login = await fetch(`${gateway}/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(account),
      });
      sessions.push(((await login.json()) as { token: string }).token);
    }
    const me = async (token: string) =>
      (await fetch(`${gateway}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;
    const second = (await clusterNodes(stack.ports.REDWIRE_REDIS_PORT)).find(
      (n) => n.master && n.port !== stack.ports.REDWIRE_REDIS_PORT,
    );
    const pid = processTree(stack.pid).find((p) => {
      try {
        // redis-server retitles itself `redis-server 127.0.0.1:<port> [cluster]`.
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`127.0.0.1:${second?.port} `);
      } catch {
        return false;
      }
    });
    expect(pid, 'the second master’s process').toBeDefined();
    // Keys in every slot range: those of the killed master must come back from its append-only file.
    const cluster = new Cluster([{ host: '127.0.0.1', port: stack.ports.REDWIRE_REDIS_PORT }]);
    const keys = Array.from({ length: 30 }, (_, i) => `probe:{${i}}`);
    try {
      for (const key of keys) await cluster.set(key, key);
      process.kill(pid as number, 'SIGKILL');
      await pollUntil(() => stack.stderr.some((l) => /\[stack\] redis-\d restarted \(pid \d+\)/.test(l)), {
        what: 'the node restarted',
        timeoutMs: 15_000,
        intervalMs: 100,
      });
      await pollUntil(
        async () => {
          const values = await Promise.all(keys.map((key) => cluster.get(key).catch(() => 'unreachable')));
          expect(
            values.filter((v) => v === null),
            'probe keys lost',
          ).toEqual([]);
          return values.every((value, i) => value === keys[i]);
        },
        { what: 'every probe key readable again', timeoutMs: 15_000, intervalMs: 200 },
      );
    } finally {
      cluster.disconnect();
    }
    // Past the gateway's 500 ms validation cache, so each session is read from the cluster again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await pollUntil(async () => (await Promise.all(sessions.map(me))).every((status) => status === 200), {
      what: 'every session answering again',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  }, 45_000);

  it('when the flows above ran, then no service logged an error or a Redis warning', () => {
    const lines = stack.stdout.filter(
      (line) => /"level":(50|60)/.test(line) || /"level":40.*redis/i.test(line),
    );
    expect(lines).toEqual([]);
  });

  it('when it gets Ctrl-C (SIGINT), then it exits 0 and every cluster node is gone', async () => {
    const nodes = await clusterNodes(stack.ports.REDWIRE_REDIS_PORT);
    void stack.service.stop('SIGINT');
    expect(await stack.exited).toBe(0);
    for (const { port } of nodes) {
      expect(await isPortFree(port), `cluster node ${port}`).toBe(true);
      expect(await isPortFree(port + 10000), `cluster bus ${port + 10000}`).toBe(true);
    }
  }, 60_000);
});
