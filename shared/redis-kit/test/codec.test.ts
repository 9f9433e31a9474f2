import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCodec, InvalidOptionsError, ValueTooLargeError } from '../src/index';
import { TOPOLOGIES, useRedis } from './support/topologies';

const user = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.date(),
  version: z.bigint(),
  tags: z.array(z.string()),
  lastLogin: z.date().nullable(),
  note: z.string().optional(),
});
type User = z.infer<typeof user>;

const sample: User = {
  id: 'u1',
  name: 'Ada',
  createdAt: new Date('2024-02-03T04:05:06.789Z'),
  version: 9007199254740993n,
  tags: ['a', 'b'],
  lastLogin: null,
};

describe('ValueCodec', () => {
  const codec = createCodec(user);

  it('when a value holds Dates and BigInts, then they survive the round trip', () => {
    const decoded = codec.decode(codec.encode(sample));
    expect(decoded).toEqual({ hit: true, value: sample });
    if (!decoded.hit) throw new Error('miss');
    expect(decoded.value.createdAt).toBeInstanceOf(Date);
    expect(typeof decoded.value.version).toBe('bigint');
  });

  it('when a string merely looks like a date, then it stays a string', () => {
    const codec = createCodec(z.object({ s: z.string() }));
    const decoded = codec.decode(codec.encode({ s: '2024-02-03T04:05:06.789Z' }));
    expect(decoded).toEqual({ hit: true, value: { s: '2024-02-03T04:05:06.789Z' } });
  });

  it('when a caller object uses the tag names itself, then it comes back unchanged', () => {
    const codec = createCodec(z.any());
    const tricky = {
      a: { $date: 'not a date' },
      b: { $bigint: 'x' },
      c: { $$date: 1 },
      d: { $x: [1] },
      e: [{ $y: 2 }],
    };
    expect(codec.decode(codec.encode(tricky))).toEqual({ hit: true, value: tricky });
  });

  it('when an invalid Date is stored, then it reads back as an invalid Date', () => {
    const codec = createCodec(z.object({ d: z.date().or(z.any()) }));
    const decoded = codec.decode(codec.encode({ d: new Date(Number.NaN) }));
    expect(decoded.hit && Number.isNaN((decoded.value.d as Date).getTime())).toBe(true);
  });

  it('when nothing is stored, then it is a miss with reason absent', () => {
    expect(codec.decode(null)).toMatchObject({ hit: false, value: undefined, reason: 'absent' });
    expect(codec.decode(undefined)).toMatchObject({ hit: false, reason: 'absent' });
  });

  it('when the stored text is not JSON, then it is a miss with reason invalid-json, not a throw', () => {
    expect(codec.decode('{"id":')).toMatchObject({ hit: false, reason: 'invalid-json' });
    expect(codec.decode('{"v":{"$bigint":"12x"}}')).toMatchObject({ hit: false, reason: 'invalid-json' });
  });

  it('when the stored value fails the schema (an older shape), then it is a miss with reason schema-mismatch', () => {
    const decoded = codec.decode(JSON.stringify({ id: 'u1', name: 'Ada' }));
    expect(decoded).toMatchObject({ hit: false, reason: 'schema-mismatch' });
    expect(decoded.hit ? undefined : decoded.error).toBeInstanceOf(z.ZodError);
  });

  it('when a value encodes above maxBytes, then encode throws ValueTooLargeError', () => {
    const small = createCodec(z.string(), { maxBytes: 10 });
    expect(() => small.encode('x'.repeat(20))).toThrow(ValueTooLargeError);
    try {
      small.encode('é'.repeat(6)); // 12 bytes of UTF-8 + quotes, 8 UTF-16 units
      throw new Error('expected a throw');
    } catch (error) {
      expect(error).toMatchObject({ code: 'REDIS_KIT_VALUE_TOO_LARGE', bytes: 14, maxBytes: 10 });
    }
  });

  it('when a stored value is above maxBytes, then decode reports too-large without parsing it', () => {
    const small = createCodec(z.string(), { maxBytes: 10 });
    expect(small.decode(`"${'x'.repeat(20)}"`)).toMatchObject({ hit: false, reason: 'too-large' });
  });

  it('when compression is on and the JSON is above the threshold, then it is stored compressed and read back', () => {
    const big = createCodec(z.object({ text: z.string() }), { compressAboveBytes: 100, maxBytes: 1000 });
    const value = { text: 'redwire '.repeat(500) };
    const stored = big.encode(value);
    expect(stored.startsWith('~z1:')).toBe(true);
    expect(stored.length).toBeLessThan(1000);
    expect(big.decode(stored)).toEqual({ hit: true, value });
    expect(big.encode({ text: 'short' })).toBe('{"text":"short"}');
  });

  it('when a compressed value is corrupt or inflates past the cap, then it is a miss with reason corrupt', () => {
    const big = createCodec(z.object({ text: z.string() }), {
      compressAboveBytes: 100,
      maxInflatedBytes: 2000,
    });
    expect(big.decode('~z1:not-deflate')).toMatchObject({ hit: false, reason: 'corrupt' });
    const bomb = createCodec(z.object({ text: z.string() }), { compressAboveBytes: 100 }).encode({
      text: 'a'.repeat(10_000),
    });
    expect(big.decode(bomb)).toMatchObject({ hit: false, reason: 'corrupt' });
  });

  it('when options are invalid, then the constructor lists every bad field', () => {
    expect(() => createCodec(z.string(), { maxBytes: -1, compressAboveBytes: 0 })).toThrow(
      InvalidOptionsError,
    );
    try {
      createCodec(z.string(), { maxBytes: -1, compressAboveBytes: 0 });
    } catch (error) {
      expect((error as InvalidOptionsError).issues).toHaveLength(2);
    }
  });
});

describe.each(TOPOLOGIES)('ValueCodec through Redis (%s)', (topology) => {
  const redis = useRedis(topology);
  const codec = createCodec(user, { compressAboveBytes: 256 });

  it('when a value is SET and read back with GET, then it decodes to the same value', async () => {
    const client = await redis.client();
    const small = redis.keys.key('user', 'small');
    const large = redis.keys.key('user', 'large');
    const bigSample = { ...sample, tags: Array.from({ length: 200 }, (_, i) => `tag-${i}`) };
    await client.set(small, codec.encode(sample), 'PX', 60_000);
    await client.set(large, codec.encode(bigSample), 'PX', 60_000);
    expect(codec.decode(await client.get(small))).toEqual({ hit: true, value: sample });
    expect(codec.decode(await client.get(large))).toEqual({ hit: true, value: bigSample });
    expect(codec.decode(await client.getBuffer(large))).toEqual({ hit: true, value: bigSample });
    expect(codec.decode(await client.get(redis.keys.key('user', 'absent')))).toMatchObject({
      reason: 'absent',
    });
  });
});
