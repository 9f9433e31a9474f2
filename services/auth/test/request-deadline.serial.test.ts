import { randomUUID } from 'node:crypto';
import {
  freeze,
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
  thaw,
  trackResponseTimes,
} from '@redwire/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrator';
import { type AuthFixture, anEmail, authFixture, PASSWORD, type Reply, waitFor } from './support/auth-stack';

// Login and registration (argon2 + PostgreSQL + Redis + the user service) keep to one request deadline.
// Own servers, so they can be frozen; every static timeout is far above the budget, so only the deadline
// can end these waits.

const BUDGET_MS = 1000;
const OVERRUN_MS = 250;

let redisServer: RedisServer;
let pgServer: PostgresServer;
let f: AuthFixture;
let timings: ReturnType<typeof trackResponseTimes>['timings'];

beforeAll(async () => {
  [redisServer, pgServer] = await Promise.all([startRedisServer(), startPostgresServer()]);
  const url = pgServer.urlFor('postgres');
  await runMigrations({ databaseUrl: url });
  f = await authFixture(
    {
      REQUEST_BUDGET: String(BUDGET_MS),
      REDIS_COMMAND_TIMEOUT: '5000',
      DB_STATEMENT_TIMEOUT: '5000',
      DB_CONNECT_TIMEOUT: '5000',
      USER_SERVICE_TIMEOUT: '5000',
      PASSWORD_HASH_CONCURRENCY: '1',
      // ~10× the default cost: a queue of a few sign-ins outlasts the budget on any machine.
      ARGON2_TIME_COST: '20',
    },
    {},
    { redisUrl: redisServer.url, database: { url, drop: async () => {} } },
  );
  timings = trackResponseTimes(f.auth.server.server).timings;
});
afterEach(() => {
  for (const server of [redisServer, pgServer]) if (server?.pid) thaw(server.pid);
  f.peer.createFault = 'none';
});
afterAll(async () => {
  await f?.close();
  await Promise.all([redisServer?.stop(), pgServer?.stop({ remove: true })]);
});

/** A reply with the time the service took to answer it (see trackResponseTimes). */
async function timed(path: string, body: Record<string, unknown>): Promise<Reply & { ms: number }> {
  const requestId = randomUUID();
  const reply = await f.gw.call('POST', path, { body, headers: { 'x-request-id': requestId } });
  const timing = timings.find((t) => t.requestId === requestId);
  if (!timing) throw new Error(`no server timing for ${path}`);
  return { ...reply, ms: timing.ms };
}

const login = (email: string, password = PASSWORD) => timed('/auth/login', { email, password });
const register = (email: string) => timed('/auth/register', { email, password: PASSWORD, name: 'Ada' });

function expectDeadlineAnswer(reply: Reply & { ms: number }): void {
  expect(reply.status).toBe(503);
  expect(reply.body.code).toBe('E_UNAVAILABLE');
  expect(reply.headers.get('retry-after')).toBe('1');
  expect(reply.ms).toBeLessThan(BUDGET_MS + OVERRUN_MS);
}

describe('auth under one request deadline (own servers)', () => {
  it('when PostgreSQL is frozen, then login and registration answer 503 with Retry-After within budget + 250 ms', async () => {
    const email = anEmail();
    await f.register(email);
    freeze(pgServer.pid as number);
    const [signIn, signUp] = await Promise.all([login(email), register(anEmail())]);
    expectDeadlineAnswer(signIn);
    expectDeadlineAnswer(signUp);
    thaw(pgServer.pid as number);
    expect((await login(email)).status).toBe(200);
  });

  it('when the state Redis is frozen, then login answers 503 with Retry-After within budget + 250 ms', async () => {
    const email = anEmail();
    await f.register(email);
    freeze(redisServer.pid as number);
    expectDeadlineAnswer(await login(email));
    thaw(redisServer.pid as number);
    expect((await login(email)).status).toBe(200);
  });

  it('when the user service does not answer, then registration answers 503 in time and is undone, so the email registers again', async () => {
    const email = anEmail();
    f.peer.createFault = 'slow-before';
    f.peer.delayMs = 3000;
    expectDeadlineAnswer(await register(email));
    f.peer.createFault = 'none';
    // The undo ran outside the request's deadline; the late create's profile is removed by its event.
    await waitFor(async () => (await register(email)).status === 201, 10_000, 'registering again');
  });

  it('when sign-ins queue for the password hasher, then each answers within budget + 250 ms, the late ones 503', async () => {
    // One hash at a time and many unknown accounts (each costs one dummy verification). How long one
    // verification takes depends on the machine, so measure it and queue enough to outlast twice the budget.
    const one = await login(anEmail('nobody'));
    expect(one.status).toBe(401);
    const queued = Math.min(400, Math.max(6, Math.ceil((2 * BUDGET_MS) / Math.max(one.ms, 1)) + 2));
    const replies = await Promise.all(Array.from({ length: queued }, () => login(anEmail('nobody'))));
    const statuses = new Set(replies.map((r) => r.status));
    expect(statuses.has(401)).toBe(true);
    expect(statuses.has(503)).toBe(true);
    expect([...statuses].every((s) => s === 401 || s === 503)).toBe(true);
    const worst = replies.reduce((w, r) => Math.max(w, r.ms), 0);
    expect(worst).toBeLessThan(BUDGET_MS + OVERRUN_MS);
    for (const reply of replies.filter((r) => r.status === 503))
      expect(reply.headers.get('retry-after')).toBe('1');
  });
});
