import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IdempotencyGuard,
  InvalidOptionsError,
  type RedisClient,
  StreamConsumer,
  type StreamConsumerOptions,
  type StreamMessage,
  StreamPublisher,
} from '../src/index';
import { eventually, TOPOLOGIES, useRedis } from './support/topologies';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// Short bounds so redelivery paths run in about a second.
const FAST = {
  blockMs: 100,
  claimIdleMs: 300,
  claimIntervalMs: 100,
  maxDeliveries: 3,
  retryBackoff: { initialMs: 20, maxMs: 200 },
  closeTimeoutMs: 200,
} as const;

describe.each(TOPOLOGIES)('StreamConsumer (%s)', (topology) => {
  const redis = useRedis(topology);
  const running: StreamConsumer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.close()));
  });

  let streamCount = 0;
  async function setup(name = `events-${++streamCount}`) {
    const client = await redis.client();
    const stream = redis.keys.stream(name);
    const publisher = new StreamPublisher({ client, stream, maxLen: 1000 });
    return { client, stream, publisher };
  }

  async function consumer(
    options: Omit<StreamConsumerOptions, 'connection'> & { connection?: RedisClient },
  ): Promise<StreamConsumer> {
    const connection = options.connection ?? (await redis.client({ kind: 'blocking', purpose: 'consumer' }));
    const c = new StreamConsumer({ ...FAST, ...options, connection });
    running.push(c);
    await c.start();
    return c;
  }

  async function pendingCount(client: RedisClient, stream: string, group: string): Promise<number> {
    const summary = (await client.xpending(stream, group)) as [number, ...unknown[]];
    return Number(summary[0]);
  }

  it('when an entry is published, then the handler gets its fields once and it is acknowledged', async () => {
    const { client, stream, publisher } = await setup();
    const seen: StreamMessage[] = [];
    await consumer({ stream, group: 'g', handler: (m) => void seen.push(m) });
    const id = await publisher.publish({ type: 'user.updated', userId: '42', version: 3n });
    await eventually(() => seen.length === 1);
    expect(seen[0]).toMatchObject({
      id,
      stream,
      deliveryCount: 1,
      fields: { type: 'user.updated', userId: '42', version: '3' },
    });
    await eventually(async () => (await pendingCount(client, stream, 'g')) === 0);
  });

  it('when a consumer restarts with entries it read but never acked, then it drains them first', async () => {
    const { client, stream, publisher } = await setup();
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const ids = [await publisher.publish({ n: '1' }), await publisher.publish({ n: '2' })];
    // A previous run of "worker-1" read both entries, then died before acking.
    await client.xreadgroup('GROUP', 'g', 'worker-1', 'COUNT', 10, 'STREAMS', stream, '>');
    const seen: StreamMessage[] = [];
    await consumer({
      stream,
      group: 'g',
      consumer: 'worker-1',
      claimIdleMs: 60_000,
      handler: (m) => void seen.push(m),
    });
    await eventually(() => seen.length === 2);
    expect(seen.map((m) => m.id)).toEqual(ids);
    expect(seen.every((m) => m.deliveryCount === 2)).toBe(true);
    await eventually(async () => (await pendingCount(client, stream, 'g')) === 0);
  });

  it('when a consumer dies mid-message, then another consumer processes that entry after the idle bound', async () => {
    const { client, stream, publisher } = await setup();
    const stuck = deferred();
    const startedOnA = deferred();
    const a = await consumer({
      stream,
      group: 'g',
      consumer: 'a',
      claimIdleMs: 60_000,
      handler: async () => {
        startedOnA.resolve();
        await stuck.promise;
      },
    });
    const id = await publisher.publish({ n: '1' });
    await startedOnA.promise;
    await a.close(); // gives up after closeTimeoutMs: "a" is gone, the entry stays pending on it
    const handledOnB: StreamMessage[] = [];
    const started = Date.now();
    await consumer({ stream, group: 'g', consumer: 'b', handler: (m) => void handledOnB.push(m) });
    await eventually(() => handledOnB.length === 1);
    expect(handledOnB[0]).toMatchObject({ id, deliveryCount: 2 });
    expect(Date.now() - started).toBeLessThan(FAST.claimIdleMs + 2000);
    await eventually(async () => (await pendingCount(client, stream, 'g')) === 0);
    stuck.resolve();
  });

  it('when a handler keeps failing, then the entry lands in the dead-letter stream after maxDeliveries and others flow', async () => {
    const { client, stream, publisher } = await setup();
    const errors: unknown[] = [];
    const attempts = new Map<string, number>();
    const done: string[] = [];
    await consumer({
      stream,
      group: 'g',
      onError: (e) => void errors.push(e),
      handler: (m) => {
        attempts.set(m.id, (attempts.get(m.id) ?? 0) + 1);
        if (m.fields.poison) throw new Error(`cannot handle ${m.fields.n}`);
        done.push(m.fields.n as string);
      },
    });
    const poisonId = await publisher.publish({ n: 'p', poison: '1' });
    for (let i = 0; i < 3; i++) await publisher.publish({ n: String(i) });
    const dlq = `${stream}:dlq`;
    await eventually(async () => (await client.xlen(dlq)) === 1, 15_000);
    expect(done).toEqual(['0', '1', '2']);
    expect(attempts.get(poisonId)).toBe(FAST.maxDeliveries);
    const [[, flat]] = (await client.xrange(dlq, '-', '+')) as [[string, string[]]];
    const fields = Object.fromEntries(flat.flatMap((_, i) => (i % 2 ? [] : [[flat[i], flat[i + 1]]])));
    expect(fields).toMatchObject({
      n: 'p',
      poison: '1',
      'dlq.source-id': poisonId,
      'dlq.source-stream': stream,
      'dlq.group': 'g',
      'dlq.deliveries': String(FAST.maxDeliveries),
      'dlq.reason': 'Error: cannot handle p',
    });
    expect(Math.abs(Number(fields['dlq.at']) - Date.now())).toBeLessThan(60_000);
    expect(await pendingCount(client, stream, 'g')).toBe(0);
    expect(errors).toHaveLength(FAST.maxDeliveries);
  });

  it('when an entry was already delivered more than maxDeliveries times, then it is dead-lettered without running', async () => {
    const { client, stream, publisher } = await setup();
    await client.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const id = await publisher.publish({ n: 'crasher' });
    await client.xreadgroup('GROUP', 'g', 'ghost', 'COUNT', 10, 'STREAMS', stream, '>');
    // It crashed the process on every delivery so far.
    await client.call('XCLAIM', stream, 'g', 'ghost', '0', id, 'RETRYCOUNT', String(FAST.maxDeliveries));
    const ran: string[] = [];
    await consumer({ stream, group: 'g', handler: (m) => void ran.push(m.id) });
    await eventually(async () => (await client.xlen(`${stream}:dlq`)) === 1, 10_000);
    expect(ran).toEqual([]);
    const [[, flat]] = (await client.xrange(`${stream}:dlq`, '-', '+')) as [[string, string[]]];
    expect(flat).toContain('max-deliveries-exceeded');
  });

  it('when an entry is redelivered after its side effect ran, then the idempotency guard runs the effect once', async () => {
    const { client, stream, publisher } = await setup();
    const guard = new IdempotencyGuard({ client, keys: redis.keys, scope: 'g', leaseMs: 200 });
    let effects = 0;
    let crashes = 0;
    await consumer({
      stream,
      group: 'g',
      handler: async (m) => {
        await guard.runOnce(m.fields.eventId as string, async () => {
          effects++;
        });
        // Dies after the effect but before the ack, once: the entry comes back.
        if (crashes++ === 0) throw new Error('crashed before ack');
      },
    });
    await publisher.publish({ eventId: 'evt-1' });
    await publisher.publish({ eventId: 'evt-1' }); // the producer re-sent it too
    await eventually(async () => crashes >= 3 && (await pendingCount(client, stream, 'g')) === 0, 10_000);
    expect(effects).toBe(1);
    expect(await guard.isDone('evt-1')).toBe(true);
  });

  it('when two consumers share a group, then creating it twice is fine and each entry is handled once', async () => {
    const { stream, publisher } = await setup();
    const handled: string[] = [];
    const handler = (m: StreamMessage) => void handled.push(m.id);
    await consumer({ stream, group: 'g', consumer: 'one', handler });
    await consumer({ stream, group: 'g', consumer: 'two', handler });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await publisher.publish({ i }));
    await eventually(() => handled.length === 20);
    expect([...handled].sort()).toEqual([...ids].sort());
  });

  it('when many entries are published, then the stream length stays within the trim bound', async () => {
    const { client, stream } = await setup();
    const publisher = new StreamPublisher({ client, stream, maxLen: 100 });
    for (let i = 0; i < 1000; i++) await publisher.publish({ i });
    const length = await client.xlen(stream);
    // MAXLEN ~ trims whole radix-tree nodes (stream-node-max-entries, 100 by default).
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);
  });

  it('when closed while blocked, then close() interrupts the BLOCK and returns promptly', async () => {
    const { stream } = await setup();
    const connection = await redis.client({ kind: 'blocking', purpose: 'closing' });
    const c = await consumer({ stream, group: 'g', blockMs: 5000, connection, handler: () => {} });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await c.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // ioredis Cluster reports `close` again right after its `end` event.
    expect(['end', 'close']).toContain(connection.status);
  });

  it('when a registry is given, then outcomes are counted', async () => {
    const { client, stream, publisher } = await setup();
    const registry = new Registry();
    let calls = 0;
    await consumer({
      stream,
      group: 'g',
      registry,
      metricsClient: client,
      maxDeliveries: 1,
      handler: () => {
        if (calls++ === 1) throw new Error('second fails');
      },
    });
    await publisher.publish({ n: 1 });
    await publisher.publish({ n: 2 });
    const text = async () => registry.metrics();
    await eventually(async () => (await text()).includes('outcome="dead_lettered"} 1'));
    expect(await text()).toContain(
      `redwire_stream_messages_total{stream="${stream}",group="g",outcome="acked"} 1`,
    );
    expect(await text()).toContain('redwire_stream_handler_duration_seconds_count');
  });

  it('when entries are delivered and not yet acknowledged, then redwire_stream_pending shows them per group, and 0 once acked', async () => {
    const { client, stream, publisher } = await setup();
    const registry = new Registry();
    // Both groups see the entries published before they start; `slow` holds its first entry in its handler.
    const release = deferred();
    await client.xgroup('CREATE', stream, 'slow', '0', 'MKSTREAM');
    await client.xgroup('CREATE', stream, 'fast', '0', 'MKSTREAM');
    for (let n = 0; n < 3; n++) await publisher.publish({ n });
    const common = { stream, registry, metricsClient: client, destinationName: 'events' };
    const slow = await consumer({ ...common, group: 'slow', handler: () => release.promise });
    await consumer({ ...common, group: 'fast', handler: () => {} });
    const sample = async (group: string) => {
      const metric = await registry.getSingleMetric('redwire_stream_pending')?.get();
      return metric?.values.find((v) => v.labels.stream === 'events' && v.labels.group === group)?.value;
    };
    await eventually(async () => (await sample('slow')) === 3 && (await sample('fast')) === 0);
    expect(await registry.metrics()).toContain('redwire_stream_pending{stream="events",group="slow"} 3');

    release.resolve();
    await eventually(async () => (await sample('slow')) === 0);
    // A closed consumer's group is no longer reported.
    await slow.close();
    expect(await sample('slow')).toBeUndefined();
    expect(await sample('fast')).toBe(0);
  });

  it('when the pending count cannot be read, then its group reports NaN and the scrape still answers', async () => {
    const { stream } = await setup();
    const registry = new Registry();
    const broken = await redis.client({ purpose: 'closed' });
    broken.disconnect();
    await consumer({ stream, group: 'g', registry, metricsClient: broken, handler: () => {} });
    // prom-client writes NaN as `Nan`; Prometheus parses either.
    expect(await registry.metrics()).toMatch(/redwire_stream_pending\{stream="[^"]+",group="g"\} nan$/im);
  });

  it('when the dead-letter stream is in another hash slot or the handler is missing, then the constructor refuses', async () => {
    const connection = await redis.client({ kind: 'blocking' });
    const base = { connection, stream: redis.keys.key('plain', 'stream'), group: 'g', handler: () => {} };
    expect(() => new StreamConsumer({ ...base, deadLetterStream: redis.keys.key('plain', 'dlq') })).toThrow(
      /hash slot/,
    );
    expect(() => new StreamConsumer({ ...base, handler: undefined as never, count: 0 })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new StreamConsumer({ ...base, registry: new Registry() })).toThrow(/metricsClient/);
  });
});
