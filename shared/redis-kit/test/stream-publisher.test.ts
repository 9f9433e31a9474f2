import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, StreamPublisher } from '../src/index';
import { TOPOLOGIES, useRedis } from './support/topologies';

describe.each(TOPOLOGIES)('StreamPublisher (%s)', (topology) => {
  const redis = useRedis(topology);

  it('when publishing, then fields are written as strings and the id is returned', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('pub-basic');
    const publisher = new StreamPublisher({ client, stream });
    const id = await publisher.publish({ type: 'user.created', version: 1, big: 2n ** 70n, active: true });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await client.xrange(stream, id, id)).toEqual([
      [id, ['type', 'user.created', 'version', '1', 'big', '1180591620717411303424', 'active', 'true']],
    ]);
  });

  it('when no tracer is installed but a stored traceparent is given, then it is passed through unchanged', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('pub-passthrough');
    const publisher = new StreamPublisher({ client, stream });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const id = await publisher.publish({ n: 1 }, { traceparent, tracestate: 'vendor=x' });
    const [[, fields]] = (await client.xrange(stream, id, id)) as [[string, string[]]];
    expect(fields).toEqual(['n', '1', 'traceparent', traceparent, 'tracestate', 'vendor=x']);
  });

  it('when fields are empty or use a reserved name, then publish refuses without writing', async () => {
    const client = await redis.client();
    const stream = redis.keys.stream('pub-reserved');
    const publisher = new StreamPublisher({ client, stream });
    await expect(publisher.publish({})).rejects.toThrow(/at least one field/);
    await expect(publisher.publish({ traceparent: 'x' })).rejects.toThrow(/reserved/);
    expect(await client.exists(stream)).toBe(0);
  });

  it('when options are invalid, then the constructor lists them', async () => {
    const client = await redis.client();
    expect(() => new StreamPublisher({ client, stream: '', maxLen: 0 })).toThrow(InvalidOptionsError);
  });
});
