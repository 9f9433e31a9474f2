import { killRedisClients } from '@redwire/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FanoutMessage,
  StreamFanoutReader,
  type StreamFanoutReaderOptions,
  StreamPublisher,
  type SubscriptionState,
} from '../src/index';
import { eventually, masters, TOPOLOGIES, useRedis } from './support/topologies';

describe.each(TOPOLOGIES)('StreamFanoutReader (%s)', (topology) => {
  const redis = useRedis(topology);
  const readers: StreamFanoutReader[] = [];
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
  });

  async function reader(options: Omit<StreamFanoutReaderOptions, 'connection'>, purpose = 'fanout') {
    const connection = await redis.client({ kind: 'blocking', purpose });
    const r = new StreamFanoutReader({
      blockMs: 100,
      retryBackoff: { initialMs: 20, maxMs: 200 },
      ...options,
      connection,
    });
    readers.push(r);
    await r.start();
    return r;
  }

  it('when several instances read one stream, then every instance sees every entry in order', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('fanout-all');
    const publisher = new StreamPublisher({ client, stream });
    await publisher.publish({ n: 'before-start' });
    const seen: FanoutMessage[][] = [[], [], []];
    for (const list of seen) await reader({ stream, handler: (m) => void list.push(m) });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await publisher.publish({ n: i }));
    await eventually(() => seen.every((list) => list.length === 10));
    for (const list of seen) expect(list.map((m) => m.id)).toEqual(ids);
  });

  it('when startFrom is beginning, then existing entries are read too', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('fanout-beginning');
    const publisher = new StreamPublisher({ client, stream });
    await publisher.publish({ n: 'old' });
    const seen: string[] = [];
    await reader({ stream, startFrom: 'beginning', handler: (m) => void seen.push(m.fields.n as string) });
    await publisher.publish({ n: 'new' });
    await eventually(() => seen.length === 2);
    expect(seen).toEqual(['old', 'new']);
  });

  it('when a handler throws, then the reader reports it and goes on', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('fanout-throws');
    const publisher = new StreamPublisher({ client, stream });
    const errors: unknown[] = [];
    const seen: string[] = [];
    await reader({
      stream,
      onError: (e) => void errors.push(e),
      handler: (m) => {
        if (m.fields.n === 'bad') throw new Error('bad entry');
        seen.push(m.fields.n as string);
      },
    });
    await publisher.publish({ n: 'bad' });
    await publisher.publish({ n: 'good' });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual(['good']);
    expect(errors).toHaveLength(1);
  });

  it('when its connection is killed, then it reports lost, re-establishes, and misses nothing', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('fanout-killed');
    const publisher = new StreamPublisher({ client, stream });
    const states: SubscriptionState[] = [];
    const seen: string[] = [];
    const purpose = `fanout-kill-${topology}`;
    await reader(
      {
        stream,
        onSubscriptionChange: (s) => void states.push(s),
        handler: (m) => void seen.push(m.fields.n as string),
      },
      purpose,
    );
    expect(states).toEqual(['established']);
    await publisher.publish({ n: '1' });
    await eventually(() => seen.length === 1);
    let killed = 0;
    for (const node of masters(client)) {
      const url = `redis://${node.options.host}:${node.options.port}`;
      killed += await killRedisClients(url, { name: `kit-test:state:blocking:${purpose}` });
    }
    expect(killed).toBeGreaterThanOrEqual(1);
    await publisher.publish({ n: '2' });
    await eventually(() => states.length === 3 && seen.length === 2, 10_000);
    expect(states).toEqual(['established', 'lost', 'established']);
    expect(seen).toEqual(['1', '2']);
  });
});
