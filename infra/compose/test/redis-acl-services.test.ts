import { randomUUID } from 'node:crypto';
import { USER_CACHE_GROUP, USER_EVENTS_STREAM, userEventsKey } from '@redwire/contracts';
import { IdentitySigner, serviceIdentity, startHttpServer } from '@redwire/http-kit';
import { createLogger, createMetrics } from '@redwire/observability';
import { createRedisClient, Keyspace, StreamConsumer, StreamPublisher } from '@redwire/redis-kit';
import { newRoutingTag, SessionStore } from '@redwire/sessions';
import { freshDatabase } from '@redwire/testing/vitest';
import {
  createUserRuntime,
  createWorkerRuntime,
  INVALIDATE_USER_JOB,
  invalidateUserJobOptions,
  loadServiceConfig,
  loadWorkerConfig,
  runMigrations,
  UserCacheKeys,
} from '@redwire/user';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclRedis, NOPERM, startAclRedis, until } from './support/acl-redis';

// The compose ACL files loaded into a real redis-server, exercised as the user service, its worker and
// auth: their own runtimes and code paths run without a single denial in ACL LOG, and each reach across
// service boundaries is refused.

const SIGNING_KEY = 'acl-test-identity-signing-key-0123456789';
const userEvents = userEventsKey();
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

describe('user service and worker', () => {
  it('when the service and its worker run against both Redis roles, then cache fills, invalidations, the outbox stream, its consumer group and BullMQ jobs all work without a single denial', async () => {
    await Promise.all([state.takeDenials(), cache.takeDenials()]);
    const db = await freshDatabase();
    await runMigrations({ databaseUrl: db.url });
    const common = {
      NODE_ENV: 'test',
      // The Redis URLs carry .env.example's public passwords, as compose runs them: allowed on purpose.
      ALLOW_DEV_SECRETS: 'true',
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
    await runtime.cache.ready(10_000);
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
      // The scrape-time gauges (outbox backlog, stream pending, queue depth) run their Redis reads as `user` too.
      const workerMetrics = await worker.metrics.registry.metrics();
      expect(workerMetrics).toMatch(/redwire_user_stream_pending\S* 0/);
      expect(workerMetrics).toMatch(/redwire_stream_pending\{[^}]*group="user-cache"[^}]*\} 0/);
      expect(workerMetrics).toMatch(/redwire_queue_jobs\{queue="cache-invalidation",state="wait"[^}]*\} 0/);
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
    const onState = await state.connectAs('user');
    const onCache = await cache.connectAs('user');
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
    const authClient = await state.serviceClient('auth');
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
      client: await state.serviceClient('user'),
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
    const { registry } = createMetrics({ service: 'redwire-auth' });
    const consumer = new StreamConsumer({
      connection,
      stream: userEvents,
      group: 'auth',
      startId: '0',
      blockMs: 200,
      claimIntervalMs: 100,
      maxDeliveries: 1,
      destinationName: USER_EVENTS_STREAM,
      registry,
      metricsClient: authClient,
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
      // The scrape-time XPENDING of redwire_stream_pending runs as `auth` too.
      expect(await registry.metrics()).toMatch(
        new RegExp(`^redwire_stream_pending\\{stream="${USER_EVENTS_STREAM}",group="auth"[^}]*\\} 0$`, 'm'),
      );
    } finally {
      await consumer.close();
    }
    expect(await state.takeDenials()).toEqual([]);
  }, 30_000);

  it('when it tries to write the user service’s stream or touch other services’ keys, then Redis refuses', async () => {
    const client = await state.connectAs('auth');
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
