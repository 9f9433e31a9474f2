import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { killRedisClients, pauseRedis, sleepRedis } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
  createRedisClient,
  type RedisClient,
  type RedisClientSettings,
  waitForReady,
} from '../src/index';
import { eventually } from './support/topologies';

const TIMEOUT_MS = 200;
// Scheduling slack on a busy 2-core machine: the deadline is the timer, not the server.
const MARGIN_MS = 150;

describe('request-path client under a stalled or lost Redis (own server)', () => {
  let server: RedisServer;
  let admin: Redis;
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    server = await startRedisServer({ enableDebug: true });
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    admin.disconnect();
    await server.stop();
  });

  async function client(settings: Partial<RedisClientSettings> = {}) {
    const c = createRedisClient({
      url: server.url,
      service: 'serial',
      commandTimeoutMs: TIMEOUT_MS,
      ...settings,
    });
    clients.push(c);
    await waitForReady(c);
    return c;
  }

  async function untilAwake(c: RedisClient) {
    await eventually(async () => (await c.ping().catch(() => 'down')) === 'PONG', 10_000, 50);
  }

  it('when Redis sleeps (DEBUG SLEEP), then a command fails within its timeout plus a small margin', async () => {
    const c = await client({ purpose: 'sleep' });
    await sleepRedis(server.url, 1);
    const started = performance.now();
    await expect(c.get('k')).rejects.toThrow('Command timed out');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    await untilAwake(c);
  });

  it('when Redis is paused (CLIENT PAUSE), then a command fails within its timeout plus a small margin', async () => {
    const c = await client({ purpose: 'pause' });
    await pauseRedis(server.url, 1000);
    const started = performance.now();
    await expect(c.incr('paused-counter')).rejects.toThrow('Command timed out');
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    await untilAwake(c);
  });

  it('when timed-out INCRs are followed by CLIENT KILL and a reconnect, then the counter moves at most once per call', async () => {
    const c = await client({ service: 'noreplay' });
    const key = 'noreplay-counter';
    await c.del(key);
    await sleepRedis(server.url, 1);
    const calls = 3;
    for (let i = 0; i < calls; i++) await expect(c.incr(key)).rejects.toThrow('Command timed out');
    // Queued behind the sleep: runs when the server wakes, dropping the client so it reconnects.
    expect(await killRedisClients(server.url, { name: 'noreplay:state:request' })).toBe(1);
    await untilAwake(c);
    await new Promise((r) => setTimeout(r, 300)); // anything that would be re-sent after reconnect has been
    expect(Number(await admin.get(key))).toBeLessThanOrEqual(calls);
  });

  it('when the socket drops after a write, then ours applies INCR once while a default ioredis client applies it twice', async () => {
    const ours = await client({ service: 'drop-ours' });
    const naive = new Redis(server.url, { connectionName: 'drop-naive' }); // ioredis defaults: re-sends
    naive.on('error', () => {});
    clients.push(naive);
    await naive.ping();
    await admin.del('ours', 'naive');

    await sleepRedis(server.url, 1);
    const oursIncr = ours.incr('ours').catch((e: Error) => e);
    const naiveIncr = naive.incr('naive').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 50));
    // Both INCRs sit in the sleeping server's socket buffers; the connections die under them.
    (ours as Redis).stream.destroy();
    naive.stream.destroy();

    expect(await oursIncr).toBeInstanceOf(Error);
    await naiveIncr;
    await untilAwake(ours);
    await eventually(async () => (await admin.get('naive')) !== null);
    await new Promise((r) => setTimeout(r, 300));
    expect(await admin.get('ours')).toBe('1');
    expect(await admin.get('naive')).toBe('2');
  });

  it('when Redis is down, then commands fail at once, the breaker opens, and a probe closes it after recovery', async () => {
    const c = await client({ service: 'breaker' });
    const breaker = new CircuitBreaker({ name: 'serial', minimumCalls: 5, openDurationMs: 300 });
    try {
      await server.stop();
      const started = performance.now();
      for (let i = 0; i < 5; i++) await expect(breaker.run(() => c.get('k'))).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(500);
      expect(breaker.state).toBe('open');
      const rejectedAt = performance.now();
      await expect(breaker.run(() => c.get('k'))).rejects.toBeInstanceOf(CircuitOpenError);
      expect(performance.now() - rejectedAt).toBeLessThan(20);

      await server.start();
      await waitForReady(c, 10_000); // reconnects in the background, with back-off
      await eventually(() => breaker.state === 'half-open', 5000, 20);
      expect(await breaker.run(() => c.ping())).toBe('PONG');
      expect(breaker.state).toBe('closed');
    } finally {
      breaker.shutdown();
    }
  });
});
