import { describe, expect, it } from 'vitest';
import { encodeKeyPart, hashTagOf, InvalidKeyError, Keyspace, keySlot } from '../src/index';
import { useRedis } from './support/topologies';

describe('Keyspace', () => {
  const keys = new Keyspace({ service: 'user' });

  it('when building a key, then it is <service>:<entity>:<id>[:<part>]', () => {
    expect(keys.key('user', '42')).toBe('user:user:42');
    expect(keys.key('user', 42, 'profile')).toBe('user:user:42:profile');
    expect(keys.key('rate', 10n)).toBe('user:rate:10');
  });

  it('when a namespace is given, then it prefixes every key', () => {
    const ns = new Keyspace({ service: 'auth', namespace: 'staging' });
    expect(ns.prefix).toBe('staging:auth');
    expect(ns.key('session', 'abc')).toBe('staging:auth:session:abc');
  });

  it('when an id holds separators, braces, spaces or %, then they are percent-encoded', () => {
    expect(keys.key('user', 'a:b{c}d e%f\n')).toBe('user:user:a%3Ab%7Bc%7Dd%20e%25f%0A');
    expect(encodeKeyPart('plain-id_1.2')).toBe('plain-id_1.2');
    // Injective: a literal "%3A" stays distinguishable from an encoded ":".
    expect(encodeKeyPart('%3A')).not.toBe(encodeKeyPart(':'));
  });

  it('when an id would pick its own hash tag, then it cannot: braces are encoded', () => {
    const forged = keys.key('user', '{victim}');
    expect(hashTagOf(forged)).toBe(forged);
  });

  it('when keys share a tag, then they share a slot across entities', () => {
    const a = keys.tagged('user', 'u1', 'sessions');
    const b = keys.tagged('session', 'u1', 'sid-9');
    expect(a).toBe('user:user:{u1}:sessions');
    expect(b).toBe('user:session:{u1}:sid-9');
    expect(keySlot(a)).toBe(keySlot(b));
  });

  it('when building a stream key, then its dead-letter key shares its slot', () => {
    const stream = keys.stream('user-events');
    expect(stream).toBe('user:stream:{user-events}');
    expect(keySlot(`${stream}:dlq`)).toBe(keySlot(stream));
  });

  it.each([
    ['an empty id', () => keys.key('user', '')],
    ['a fractional number', () => keys.key('user', 1.5)],
    ['an unsafe integer', () => keys.key('user', 2 ** 60)],
    ['a huge id', () => keys.key('user', 'x'.repeat(513))],
    ['an entity with a colon', () => keys.key('us:er', '1')],
    ['an upper-case entity', () => keys.key('User', '1')],
    ['a service with a space', () => new Keyspace({ service: 'my svc' })],
    ['a namespace with braces', () => new Keyspace({ service: 'a', namespace: '{x}' })],
  ])('when given %s, then it throws InvalidKeyError', (_, build) => {
    expect(build).toThrow(InvalidKeyError);
  });
});

describe('keySlot', () => {
  it('when hashing known keys, then it matches Redis Cluster', () => {
    expect(keySlot('a')).toBe(15495);
    expect(keySlot('b')).toBe(3300);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    // An empty tag does not count: the whole key is hashed.
    expect(hashTagOf('foo{}{bar}')).toBe('foo{}{bar}');
    expect(hashTagOf('foo{{bar}}zap')).toBe('{bar');
  });

  describe('against the real cluster', () => {
    const redis = useRedis('cluster');

    it('when comparing random keys with CLUSTER KEYSLOT, then every slot agrees', async () => {
      const client = await redis.client();
      const samples = [
        '',
        'x',
        'héllo',
        '{tag}rest',
        'a{b}c{d}',
        '{}x',
        '🙂',
        '\ud800lone',
        `${redis.namespace}:k`,
      ];
      for (let i = 0; i < 40; i++) samples.push(Math.random().toString(36).slice(2));
      for (const key of samples) {
        expect(keySlot(key), key).toBe(Number(await client.call('CLUSTER', 'KEYSLOT', key)));
      }
    });
  });
});
