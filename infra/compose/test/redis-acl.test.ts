import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { IdentitySigner, serviceIdentity, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import {
  createRedisClient,
  Keyspace,
  type RedisClient,
  StreamConsumer,
  StreamFanoutReader,
  StreamPublisher,
  waitForReady,
} from '@redwire/redis-kit';
import { newRoutingTag, SessionReader, SessionStore } from '@redwire/sessions';
import { freshDatabase } from '@redwire/testing/vitest';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH_EVENTS_STREAM,
  RevocationPublisher,
} from '../../../services/auth/src/events/revocation.publisher';
import { DEFAULT_POLICIES } from '../../../services/gateway/src/ratelimit/default-policies';
import { PolicySet } from '../../../services/gateway/src/ratelimit/policy-set';
import { RateLimitStore } from '../../../services/gateway/src/ratelimit/ratelimit.store';
import { UserCacheKeys } from '../../../services/user/src/cache/user-cache.keys';
import { loadServiceConfig, loadWorkerConfig } from '../../../services/user/src/config';
import { runMigrations } from '../../../services/user/src/db/migrator';
import { USER_CACHE_GROUP, USER_EVENTS_STREAM } from '../../../services/user/src/events/user-events';
import {
  INVALIDATE_USER_JOB,
  invalidateUserJobOptions,
} from '../../../services/user/src/jobs/invalidate-user.job';
import { createUserRuntime } from '../../../services/user/src/user.runtime';
import { createWorkerRuntime } from '../../../services/user/src/worker.runtime';
import { type AclRedis, passwordOf, startAclRedis } from './support/acl-redis';
import { repoPath } from './support/repo';

// The compose ACL files (infra/redis/users.acl for the state Redis, users-cache.acl for the cache Redis),
// loaded into a real redis-server and exercised through the services' own code paths as each ACL user.

const SIGNING_KEY = 'acl-test-identity-signing-key-0123456789';
const userEvents = new Keyspace({ service: 'user' }).stream(USER_EVENTS_STREAM);
const authEvents = new Keyspace({ service: 'auth' }).stream(AUTH_EVENTS_STREAM);
const sessionKey = (tag: string, part: string) => `auth:session:{${tag}}:${part}`;
const cacheEntryOf = (userId: string) =>
  new UserCacheKeys(new Keyspace({ service: 'user' })).forUser(userId).entry;

let state: AclRedis;
let cache: AclRedis;
const opened: { disconnect(): void }[] = [];

/** A request-path client as the services build it (redis-kit), authenticated from the URL. */
async function serviceClient(redis: AclRedis, user: string): Promise<RedisClient> {
  const client = createRedisClient({ url: redis.urlAs(user), service: user, commandTimeoutMs: 5000 });
  opened.push(client);
  await waitForReady(client);
  return client;
}

async function rawClient(redis: AclRedis, user: string): Promise<Redis> {
  const client = await redis.connectAs(user);
  opened.push(client);
  return client;
}

const NOPERM = /NOPERM|can't access/;

beforeAll(async () => {
  [state, cache] = await Promise.all([startAclRedis('users.acl'), startAclRedis('users-cache.acl')]);
});

afterAll(async () => {
  for (const client of opened) client.disconnect();
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
    const probe = await rawClient(state, 'healthcheck');
    for (const user of ['gateway', 'user', 'auth', 'healthcheck']) {
      expect(await probe.call('AUTH', user, passwordOf(user))).toBe('OK');
      await expect(probe.call('AUTH', user, passwordOf(user === 'auth' ? 'user' : 'auth'))).rejects.toThrow(
        /WRONGPASS/,
      );
    }
  });

  it('when the cache Redis loads users-cache.acl, then only the user service and the health check exist there', async () => {
    const probe = await rawClient(cache, 'healthcheck');
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
    const client = await rawClient(state, 'healthcheck');
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
    const authClient = await serviceClient(state, 'auth');
    const gatewayClient = await serviceClient(state, 'gateway');
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

    const store = new RateLimitStore({
      redis: gatewayClient,
      keys: new Keyspace({ service: 'gateway' }),
      deadlineMs: 5000,
    });
    const checks = new PolicySet(DEFAULT_POLICIES).checksFor({
      method: 'GET',
      path: '/users/x',
      ipKey: '192.0.2.1',
      user: { id: account.userId, tier: 'free' },
    });
    expect(checks.length).toBeGreaterThan(0);
    expect((await store.decide(checks)).admitted).toBe(true);
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
        client: await serviceClient(state, 'auth'),
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
    const client = await rawClient(state, 'gateway');
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

describe('user service and worker', () => {
  it('when the service and its worker run against both Redis roles, then cache fills, invalidations, the outbox stream, its consumer group and BullMQ jobs all work without a single denial', async () => {
    await Promise.all([state.takeDenials(), cache.takeDenials()]);
    const db = await freshDatabase();
    await runMigrations({ databaseUrl: db.url });
    const common = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      REDIS_URL: state.urlAs('user'),
      CACHE_REDIS_URL: cache.urlAs('user'),
    };
    const runtime = createUserRuntime(loadServiceConfig({ ...common, IDENTITY_SIGNING_KEY: SIGNING_KEY }), {
      logger: createLogger({ service: 'redwire-user', level: 'silent' }),
    });
    const worker = createWorkerRuntime(
      loadWorkerConfig({ ...common, METRICS_PORT: '0', OUTBOX_POLL_INTERVAL: '100' }),
      { logger: createLogger({ service: 'redwire-user-worker', level: 'silent' }) },
    );
    await runtime.start();
    await runtime.gate.whenUsable(10_000);
    await worker.start();
    const server = await startHttpServer(runtime.app, { port: 0 });
    try {
      const signer = new IdentitySigner({ key: SIGNING_KEY });
      const id = randomUUID();
      const created = await fetch(`${server.url}/internal/users`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-redwire-identity': await signer.sign(serviceIdentity('auth'), 'user'),
        },
        body: JSON.stringify({ id, email: `${id}@example.com`, name: 'Ada' }),
      });
      expect(created.status).toBe(201);
      const first = await fetch(`${server.url}/users/${id}`);
      const second = await fetch(`${server.url}/users/${id}`);
      expect([first.headers.get('x-cache'), second.headers.get('x-cache')]).toEqual(['MISS', 'HIT']);
      const patched = await fetch(`${server.url}/users/${id}`, {
        method: 'PATCH',
        headers: {
          'content-type': 'application/json',
          'x-redwire-identity': await signer.sign(
            { sub: id, role: 'user', tier: 'free', sid: 'acl-test' },
            'user',
          ),
        },
        body: JSON.stringify({ bio: 'written through the ACL' }),
      });
      expect(patched.status).toBe(200);

      // The relay published both events and the user-cache group consumed and acknowledged them.
      await until(async () => {
        const entries = await state.admin.xrange(userEvents, '-', '+');
        const group = await groupInfo(state.admin, USER_CACHE_GROUP);
        const last = entries.at(-1)?.[0];
        return entries.length >= 2 && group?.pending === 0 && group['last-delivered-id'] === last;
      }, 'user-cache group caught up');

      const job = await worker.invalidationQueue.add(
        INVALIDATE_USER_JOB,
        { userId: id },
        invalidateUserJobOptions(id),
      );
      await until(async () => (await job.getState()) === 'completed', 'BullMQ job completed');
      // The scrape-time gauges (outbox backlog, stream pending) run their Redis reads as `user` too.
      expect(await worker.metrics.registry.metrics()).toMatch(/redwire_user_stream_pending\S* 0/);
      expect(await runtime.metrics.registry.metrics()).toMatch(/redwire_user_stream_pending\S* 0/);

      expect(await state.takeDenials()).toEqual([]);
      expect(await cache.takeDenials()).toEqual([]);
    } finally {
      await server.close(1000);
      await worker.close();
      await runtime.close();
      await db.drop();
    }
  }, 60_000);

  it('when it reaches for session, rate-limit or foreign keys, then Redis refuses', async () => {
    const onState = await rawClient(state, 'user');
    const onCache = await rawClient(cache, 'user');
    const tag = newRoutingTag();
    await expect(onState.hgetall(sessionKey(tag, 'u'))).rejects.toThrow(NOPERM);
    await expect(onState.hmget(sessionKey(tag, 's:m'), 'sh')).rejects.toThrow(NOPERM);
    await expect(onState.set('gateway:rl:{x}:ip', '1')).rejects.toThrow(NOPERM);
    await expect(onState.call('KEYS', 'auth:*')).rejects.toThrow(NOPERM);
    await expect(onCache.get('auth:session:x')).rejects.toThrow(NOPERM);
    await expect(onCache.call('FLUSHALL')).rejects.toThrow(NOPERM);
    await expect(onCache.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction')).rejects.toThrow(NOPERM);
  });
});

describe('auth', () => {
  it('when it manages sessions and consumes user-events in its group (dead-lettering included), then Redis permits every command', async () => {
    await state.takeDenials();
    const authClient = await serviceClient(state, 'auth');
    const store = new SessionStore({ redis: authClient, maxSessionsPerUser: 2 });
    const account = {
      userId: randomUUID(),
      tag: newRoutingTag(),
      authVersion: 1,
      revision: 1,
      role: 'user' as const,
      tier: 'free' as const,
    };
    const sessions = [];
    for (let i = 0; i < 3; i++)
      sessions.push(await store.create(account, { userAgent: 'acl', ip: '192.0.2.1' }));
    expect(sessions.every((s) => s.created)).toBe(true);
    expect(await store.list(account.tag)).toHaveLength(2);
    await store.revokeAll(account.tag);
    expect(await store.list(account.tag)).toEqual([]);
    await store.syncAccount({ ...account, authVersion: 2, revision: 2 });

    const publisher = new StreamPublisher({
      client: await serviceClient(state, 'user'),
      stream: userEvents,
      destinationName: USER_EVENTS_STREAM,
    });
    const deletedUser = randomUUID();
    await publisher.publish({ type: 'user.deleted', userId: deletedUser, version: 2 });
    await publisher.publish({ type: 'poison', userId: randomUUID(), version: 1 });

    const handled: string[] = [];
    const connection = createRedisClient({
      url: state.urlAs('auth'),
      service: 'auth',
      kind: 'blocking',
      purpose: 'user-events',
    });
    const consumer = new StreamConsumer({
      connection,
      stream: userEvents,
      group: 'auth',
      startId: '0',
      blockMs: 200,
      claimIntervalMs: 100,
      maxDeliveries: 1,
      destinationName: USER_EVENTS_STREAM,
      handler: (message) => {
        if (message.fields.type === 'poison') throw new Error('poison entry');
        handled.push(message.fields.userId ?? '');
      },
    });
    await consumer.start();
    try {
      await until(async () => {
        const group = await groupInfo(state.admin, 'auth');
        return handled.includes(deletedUser) && group?.pending === 0;
      }, 'auth group caught up');
      const deadLetters = await state.admin.xrange(`${userEvents}:dlq`, '-', '+');
      expect(deadLetters.some(([, fields]) => fields.includes('poison'))).toBe(true);
    } finally {
      await consumer.close();
    }
    expect(await state.takeDenials()).toEqual([]);
  }, 30_000);

  it('when it tries to write the user service’s stream or touch other services’ keys, then Redis refuses', async () => {
    const client = await rawClient(state, 'auth');
    await expect(client.xadd(userEvents, '*', 'type', 'user.deleted')).rejects.toThrow(NOPERM);
    await expect(
      client.eval(
        "return redis.call('XADD', KEYS[1], '*', 'type', 'forged')",
        2,
        userEvents,
        `${userEvents}:dlq`,
      ),
    ).rejects.toThrow(NOPERM);
    await expect(client.del(userEvents)).rejects.toThrow(NOPERM);
    await expect(client.call('XGROUP', 'DESTROY', userEvents, USER_CACHE_GROUP)).rejects.toThrow(NOPERM);
    await expect(client.call('XTRIM', userEvents, 'MAXLEN', '0')).rejects.toThrow(NOPERM);
    await expect(client.set('gateway:rl:{x}:login-ip', '1')).rejects.toThrow(NOPERM);
    await expect(client.get('gateway:rl:{x}:login-ip')).rejects.toThrow(NOPERM);
    await expect(client.get(cacheEntryOf(randomUUID()))).rejects.toThrow(NOPERM);
    await expect(client.call('FLUSHDB')).rejects.toThrow(NOPERM);
  });
});

type GroupInfo = Record<string, string | number>;

async function groupInfo(admin: Redis, name: string): Promise<GroupInfo | undefined> {
  const groups = (await admin.call('XINFO', 'GROUPS', userEvents).catch(() => [])) as unknown[][];
  for (const flat of groups) {
    const info: GroupInfo = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const value = flat[i + 1];
      info[String(flat[i])] = typeof value === 'number' ? value : String(value);
    }
    if (info.name === name) return info;
  }
  return undefined;
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
