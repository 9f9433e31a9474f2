import { ValueTooLargeError } from '@redwire/redis-kit';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EnvelopeCodec, InvalidCacheValueError } from '../src/cache-envelope';
import { type Item, isItem, itemSchema } from './support/item-store';

const item = (version: number, extra: Record<string, unknown> = {}) => ({
  id: 'i-1',
  name: 'N',
  version,
  ...extra,
});
const entry = (head: string, data: unknown) => `{${head},"d":${JSON.stringify(data)}}`;

// Both ways of checking a value the caller can choose: every branch of the envelope's own guard must make
// an entry a miss whichever check the value gets.
describe.each([
  ['a guard', { guard: isItem }],
  ['a zod schema', { schema: itemSchema }],
] as const)('EnvelopeCodec with %s', (_name, check) => {
  const codec = new EnvelopeCodec<Item>({ schemaVersion: 1, check, maxValueBytes: 1024 });

  it('when an entry is well formed, then it decodes with its version, times and value', () => {
    expect(codec.decode(entry('"s":1,"v":2,"c":10,"f":20', item(2)))).toEqual({
      version: 2,
      cachedAt: 10,
      freshUntil: 20,
      value: item(2),
    });
    expect(codec.decode('{"s":1,"v":0,"c":1,"f":2,"d":null}')).toEqual({
      version: 0,
      cachedAt: 1,
      freshUntil: 2,
      value: undefined,
    });
  });

  it('when an entry does not match the envelope or the value check, then it decodes as a miss', () => {
    for (const bad of [
      'not json',
      '[1,2,3,4,5]',
      'null',
      '"a string"',
      entry('"s":2,"v":2,"c":1,"f":2', item(2)), // another schema version
      entry('"s":1,"v":0,"c":1,"f":2', item(2)), // a negative entry with data
      '{"s":1,"v":2,"c":1,"f":2,"d":null}', // a positive entry without data
      entry('"s":1,"v":2,"c":1,"f":2,"x":0', item(2)), // an extra envelope key
      entry('"s":1,"v":2,"c":1', item(2)), // a missing envelope key
      entry('"s":1,"v":2,"c":-1,"f":2', item(2)), // counts that are not non-negative integers
      entry('"s":1,"v":2,"c":1,"f":2.5', item(2)),
      entry('"s":1,"v":"2","c":1,"f":2', item(2)),
      entry('"s":1,"v":2,"c":1,"f":2', item(2, { extra: 1 })), // the value: an extra field
      entry('"s":1,"v":2,"c":1,"f":2', { id: 'i-1', version: 2 }), // a missing field
      entry('"s":1,"v":2,"c":1,"f":2', item(2, { name: 7 })), // a wrong type
      `${entry('"s":1,"v":2,"c":1,"f":2', item(2))}`.replace('"N"', `"${'x'.repeat(2000)}"`), // over the cap
    ]) {
      expect(codec.decode(bad), bad.slice(0, 80)).toBeUndefined();
    }
  });

  it('when a value is encoded, then a negative entry is null, a checked value its JSON, and what the check refuses throws', () => {
    expect(codec.encodeValue(undefined, 0)).toEqual({ stored: 'null', value: undefined });
    expect(JSON.parse(codec.encodeValue(item(3), 3).stored)).toEqual(item(3));
    expect(() => codec.encodeValue(item(3, { extra: true }) as Item, 3)).toThrow(InvalidCacheValueError);
  });

  it('when a value is larger than maxValueBytes, then encoding it throws redis-kit ValueTooLargeError', () => {
    expect(() => codec.encodeValue(item(1, { name: 'x'.repeat(2000) }), 1)).toThrow(ValueTooLargeError);
  });
});

describe('EnvelopeCodec value checks', () => {
  it('when a guard sees an entry whose value carries another version, then the entry is a miss', () => {
    const codec = new EnvelopeCodec<Item>({
      schemaVersion: 1,
      check: { guard: isItem },
      maxValueBytes: 1024,
    });
    expect(codec.decode(entry('"s":1,"v":3,"c":1,"f":2', item(2)))).toBeUndefined();
  });

  it('when a schema has Dates and BigInts, then they survive the round trip through the stored form', () => {
    const schema = z.strictObject({ id: z.string(), at: z.date(), big: z.bigint() });
    const codec = new EnvelopeCodec({ schemaVersion: 4, check: { schema }, maxValueBytes: 1024 });
    const value = { id: 'x', at: new Date('2026-01-02T03:04:05.678Z'), big: 12345678901234567890n };
    const { stored } = codec.encodeValue(value, 1);
    expect(codec.decode(`{"s":4,"v":1,"c":1,"f":2,"d":${stored}}`)?.value).toEqual(value);
  });

  it('when a schema strips unknown keys, then the stored and returned value is the schema output', () => {
    const codec = new EnvelopeCodec({
      schemaVersion: 1,
      check: { schema: z.object({ id: z.string() }) },
      maxValueBytes: 1024,
    });
    const encoded = codec.encodeValue({ id: 'x', secret: 'not cached' } as { id: string }, 1);
    expect(encoded.value).toEqual({ id: 'x' });
    expect(JSON.parse(encoded.stored)).toEqual({ id: 'x' });
  });
});
