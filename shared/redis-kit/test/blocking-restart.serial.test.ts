import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRedisClient,
  Keyspace,
  type RedisClient,
  StreamConsumer,
  StreamFanoutReader,
  StreamPublisher,
  type SubscriptionState,
  waitForReady,
} from '../src/index';
import { eventually } from './support/topologies';

describe.each([
  ['without persistence (the group is lost)', false],
  ['with an append-only file (the group survives)', true],
])('blocking clients across a Redis restart, %s', (_, persistent) => {
  let server: RedisServer;
  let publisherClient: RedisClient;
  const keys = new Keyspace({ service: 'restart' });
  const stream = keys.stream('events');

  beforeAll(async () => {
    server = await startRedisServer(
      persistent ? { dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-restart-')) } : {},
    );
    publisherClient = createRedisClient({ url: server.url, service: 'restart', commandTimeoutMs: 1000 });
    await waitForReady(publisherClient);
  });
  afterAll(async () => {
    publisherClient.disconnect();
    await server.stop();
  });

  it('when Redis stops and starts again, then the consumer and the fan-out reader resume on their own', async () => {
    const publisher = new StreamPublisher({ client: publisherClient, stream });
    const handled: string[] = [];
    const fanned: string[] = [];
    const states: SubscriptionState[] = [];
    const consumerErrors: string[] = [];
    const blocking = (purpose: string) =>
      createRedisClient({
        url: server.url,
        service: 'restart',
        kind: 'blocking',
        purpose,
        reconnect: { maxMs: 200 },
      });
    const consumer = new StreamConsumer({
      connection: blocking('consumer'),
      stream,
      group: 'g',
      blockMs: 200,
      retryBackoff: { initialMs: 50, maxMs: 200 },
      onError: (e) => void consumerErrors.push(String(e)),
      handler: (m) => void handled.push(m.fields.n as string),
    });
    const reader = new StreamFanoutReader({
      connection: blocking('fanout'),
      stream,
      blockMs: 200,
      retryBackoff: { initialMs: 50, maxMs: 200 },
      onSubscriptionChange: (s) => void states.push(s),
      handler: (m) => void fanned.push(m.fields.n as string),
    });
    await Promise.all([consumer.start(), reader.start()]);
    try {
      await publisher.publish({ n: 'before' });
      await eventually(() => handled.length === 1 && fanned.length === 1);

      await server.stop();
      await new Promise((r) => setTimeout(r, 500));
      await server.start();
      await waitForReady(publisherClient, 10_000);
      await publisher.publish({ n: 'after' });

      await eventually(() => handled.includes('after') && fanned.includes('after'), 15_000);
      expect(handled).toEqual(['before', 'after']);
      expect(fanned).toEqual(['before', 'after']);
      // Without persistence the group is gone: the consumer saw NOGROUP and recreated it.
      expect(consumerErrors.some((e) => e.includes('NOGROUP'))).toBe(!persistent);
      expect(states[0]).toBe('established');
      expect(states).toContain('lost');
      expect(states.at(-1)).toBe('established');
      await eventually(
        async () => Number(((await publisherClient.xpending(stream, 'g')) as [number])[0]) === 0,
      );
    } finally {
      await Promise.all([consumer.close(), reader.close()]);
    }
  });
});
