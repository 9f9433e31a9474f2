import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { RevocationPublisher } from '@redwire/auth';
import { authEventsKey, userEventsKey } from '@redwire/contracts';
import { createGatewayRateLimiter, DEFAULT_POLICIES, PolicySet } from '@redwire/gateway';
import { createLogger } from '@redwire/observability';
import { createRedisClient, Keyspace, StreamFanoutReader, StreamPublisher } from '@redwire/redis-kit';
import { newRoutingTag, SessionReader, SessionStore } from '@redwire/sessions';
import { UserCacheKeys } from '@redwire/user';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclRedis, NOPERM, passwordOf, startAclRedis, until } from './support/acl-redis';
import { repoPath } from './support/repo';

// The compose ACL files (infra/redis/users.acl for the state Redis, users-cache.acl for the cache Redis)
// loaded into a real redis-server: the files themselves, the health check user and the gateway, whose
// real code paths (session reader, limiter store, fan-out reader) run as its ACL user.
// redis-acl-services.test.ts does the same for the user service, its worker and auth.

const userEvents = userEventsKey();
const authEvents = authEventsKey();
const sessionKey = (tag: string, part: string) => `auth:session:{${tag}}:${part}`;
const cacheEntryOf = (userId: string) =>
  new UserCacheKeys(new Keyspace({ service: 'user' })).forUser(userId).entry;

let state: AclRedis;
let cache: AclRedis;

beforeAll(async () => {
  [state, cache] = await Promise.all([startAclRedis('users.acl'), startAclRedis('users-cache.acl')]);
});

afterAll(async () => {
  await Promise.all([state?.stop(), cache?.stop()]);
});

describe('the committed ACL files', () => {
  it('when users.acl is loaded byte for byte, then the default user is off and unauthenticated clients can run nothing', async () => {
    const verbatim = await startAclRedis('users.acl', { withAdmin: false });
    try {
      const anonymous = await verbatim.connectAs('gateway');
      await anonymous.call('RESET');
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
      await expect(anonymous.call('AUTH', 'default', 'anything')).rejects.toThrow(/WRONGPASS/);
      await expect(anonymous.call('AUTH', 'anything')).rejects.toThrow(/WRONGPASS/);
      anonymous.disconnect();
    } finally {
      await verbatim.stop();
    }
  });

  it('when each user authenticates with its .env.example password, then it is accepted, and with another user’s password refused', async () => {
    const probe = await state.connectAs('healthcheck');
    for (const user of ['gateway', 'user', 'auth', 'healthcheck']) {
      expect(await probe.call('AUTH', user, passwordOf(user))).toBe('OK');
      await expect(probe.call('AUTH', user, passwordOf(user === 'auth' ? 'user' : 'auth'))).rejects.toThrow(
        /WRONGPASS/,
      );
    }
  });

  it('when the cache Redis loads users-cache.acl, then only the user service and the health check exist there', async () => {
    const probe = await cache.connectAs('healthcheck');
    expect(await probe.call('AUTH', 'user', passwordOf('user'))).toBe('OK');
    await expect(probe.call('AUTH', 'gateway', passwordOf('gateway'))).rejects.toThrow(/WRONGPASS/);
    await expect(probe.call('AUTH', 'auth', passwordOf('auth'))).rejects.toThrow(/WRONGPASS/);
  });

  it.each(['users.acl', 'users-cache.acl'])(
    'when %s is regenerated from .env.example with set-acl-passwords.mjs, then it comes out byte for byte',
    (file) => {
      const result = spawnSync(
        process.execPath,
        [
          `--env-file=${repoPath('.env.example')}`,
          repoPath('infra/redis/set-acl-passwords.mjs'),
          repoPath('infra/redis', file),
        ],
        { encoding: 'utf8', env: {} },
      );
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(fs.readFileSync(repoPath('infra/redis', file), 'utf8'));
    },
  );

  it('when the health check user connects, then it may PING and nothing else', async () => {
    const client = await state.connectAs('healthcheck');
    expect(await client.ping()).toBe('PONG');
    await expect(client.get('gateway:x')).rejects.toThrow(NOPERM);
    await expect(client.call('INFO')).rejects.toThrow(NOPERM);
    await expect(client.call('CLIENT', 'LIST')).rejects.toThrow(NOPERM);
    await state.takeDenials();
  });
});

describe('gateway', () => {
  it('when it validates and touches a session and decides a request with its real code, then Redis permits every command', async () => {
    await state.takeDenials();
    const authClient = await state.serviceClient('auth');
    const gatewayClient = await state.serviceClient('gateway');
    const account = { userId: randomUUID(), tag: newRoutingTag(), authVersion: 1, revision: 1 };
    const created = await new SessionStore({ redis: authClient }).create({
      ...account,
      role: 'user',
      tier: 'free',
    });
    if (!created.created) throw new Error('session not created');

    const reader = new SessionReader({ redis: gatewayClient, touchIntervalMs: 0 });
    const validated = await reader.validate(created.token);
    expect(validated.valid).toBe(true);

    const policies = new PolicySet(DEFAULT_POLICIES);
    const limiter = createGatewayRateLimiter({
      redis: gatewayClient,
      keyspace: new Keyspace({ service: 'gateway' }),
      policies,
      deadlineMs: 5000,
      maxBatch: 16,
      denyCacheSize: 0,
      instances: 1,
      localMaxEntries: 100,
    });
    const keys = policies.keysFor({
      method: 'GET',
      path: '/users/x',
      ipKey: '192.0.2.1',
      user: { id: account.userId, tier: 'free' },
    });
    expect(Object.keys(keys).length).toBeGreaterThan(0);
    expect(await limiter.limit(keys)).toMatchObject({ allowed: true, source: 'redis' });
    limiter.close();
    expect(await state.takeDenials()).toEqual([]);
  });

  it('when auth publishes a revocation, then the gateway can follow auth-events with a fan-out reader', async () => {
    await state.takeDenials();
    const seen: string[] = [];
    const reader = new StreamFanoutReader({
      connection: createRedisClient({
        url: state.urlAs('gateway'),
        service: 'gateway',
        kind: 'blocking',
        purpose: 'auth-events',
      }),
      stream: authEvents,
      blockMs: 200,
      handler: (message) => {
        seen.push(message.fields.sessionId ?? '');
      },
    });
    await reader.start();
    try {
      const publisher = new StreamPublisher({
        client: await state.serviceClient('auth'),
        stream: authEvents,
      });
      const sessionId = `${newRoutingTag()}.member`;
      await new RevocationPublisher(publisher, createLogger({ service: 'acl', level: 'silent' })).revoked([
        sessionId,
      ]);
      await until(async () => seen.includes(sessionId), 'revocation seen by the gateway');
    } finally {
      await reader.close();
    }
    expect(await state.takeDenials()).toEqual([]);
  });

  it('when it reaches for what it does not own, then Redis refuses', async () => {
    const client = await state.connectAs('gateway');
    await expect(client.xadd(authEvents, '*', 'type', 'session.revoked')).rejects.toThrow(NOPERM);
    const tag = newRoutingTag();
    await expect(client.get(cacheEntryOf(randomUUID()))).rejects.toThrow(NOPERM);
    await expect(client.xadd(userEvents, '*', 'type', 'user.deleted')).rejects.toThrow(NOPERM);
    await expect(client.xrange(userEvents, '-', '+')).rejects.toThrow(NOPERM);
    // Sessions: read and touch only; the account state (role, tier, version) is auth's to write.
    await expect(client.hset(sessionKey(tag, 'u'), 'role', 'admin')).rejects.toThrow(NOPERM);
    await expect(client.del(sessionKey(tag, 'u'))).rejects.toThrow(NOPERM);
    await expect(
      client.eval("return redis.call('HSET', KEYS[1], 'role', 'admin')", 1, sessionKey(tag, 'u')),
    ).rejects.toThrow(NOPERM);
    await expect(client.set('auth:login:x', '1')).rejects.toThrow(NOPERM);
    await expect(client.call('KEYS', '*')).rejects.toThrow(NOPERM);
    await expect(client.call('SCAN', '0')).rejects.toThrow(NOPERM);
    await expect(client.call('FLUSHALL')).rejects.toThrow(NOPERM);
    await expect(client.call('CONFIG', 'GET', 'maxmemory')).rejects.toThrow(NOPERM);
    await expect(client.call('SCRIPT', 'FLUSH')).rejects.toThrow(NOPERM);
    await expect(client.call('PUBLISH', 'x', 'y')).rejects.toThrow(NOPERM);
  });
});
