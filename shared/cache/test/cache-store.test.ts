import { type RedisCluster, type RedisServer, startRedisCluster, startRedisServer } from '@redwire/launchers';
import { Keyspace, keySlot, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeCodec } from '../src/cache-envelope';
import { CacheKeys } from '../src/cache-keys';
import { CacheStore, cacheScripts } from '../src/cache-store';
import { type Item, isItem } from './support/item-store';

const ttls = { freshMs: 60_000, lifetimeMs: 120_000 };
const FLOOR_TTL = 30_000;
const codec = new EnvelopeCodec<Item>({ schemaVersion: 1, check: { guard: isItem }, maxValueBytes: 65_536 });
const decode = (raw: string | null) => (raw === null ? undefined : codec.decode(raw));
const newId = () => uniquePrefix('id');

// The same contract on a single node and on a Cluster (every script's keys share the {id} hash tag).
describe.each([
  ['single node', () => new Redis(sharedServers().redisUrl) as RedisClient],
  ['cluster', () => new Cluster(sharedServers().clusterNodes) as RedisClient],
])('CacheStore on %s', (_name, connect) => {
  let client: RedisClient;
  let store: CacheStore;
  let keys: CacheKeys;

  beforeAll(() => {
    client = connect();
    keys = new CacheKeys({
      name: 'item',
      keyspace: new Keyspace({ service: 'shop', namespace: uniquePrefix('s') }),
    });
    store = new CacheStore(client, keys, { maxReadBatch: 16 });
  });
  afterAll(() => client.disconnect());

  async function leased(id: string) {
    const reply = await store.readOrLease(id, `tok-${Math.random()}`, 5000, 'miss');
    if (reply.kind !== 'lease') throw new Error(`expected a lease, got ${reply.kind}`);
    return reply.token;
  }
  const fill = (id: string, token: string, version: number) =>
    store.fill(
      id,
      token,
      version,
      codec.encodeValue(version === 0 ? undefined : { id, name: 'N', version }, version).stored,
      ttls,
    );

  it('when 20 ids are read in one turn, then each read gets its own entry (or null), in any slot layout', async () => {
    const ids = Array.from({ length: 20 }, newId);
    for (const [i, id] of ids.entries()) {
      if (i % 4 === 3) continue; // every fourth id has no entry
      await fill(id, await leased(id), i + 1);
    }
    const raws = await Promise.all(ids.map((id) => store.get(id)));
    raws.forEach((raw, i) => {
      if (i % 4 === 3) expect(raw).toBeNull();
      else expect(decode(raw)?.value?.id).toBe(ids[i]);
    });
  });

  it('when each script is loaded, then its SHA is the one EVALSHA uses', async () => {
    const node = client instanceof Cluster ? (client.nodes('master')[0] as Redis) : (client as Redis);
    for (const script of Object.values(cacheScripts)) {
      expect(await node.script('LOAD', script.lua)).toBe(script.sha);
    }
  });

  it('when a key is cold, then the first caller gets the lease, the second waits, and after the fill both see the entry', async () => {
    const id = newId();
    const token = await leased(id);
    const second = await store.readOrLease(id, 'other', 5000, 'miss');
    expect(second.kind).toBe('wait');
    expect(await fill(id, token, 3)).toBe('stored');
    const third = await store.readOrLease(id, 'third', 5000, 'miss');
    expect(third.kind).toBe('hit');
    const envelope = decode(await store.get(id));
    expect(envelope?.version).toBe(3);
    expect(envelope?.freshUntil).toBeGreaterThan(envelope?.cachedAt as number);
    expect(await client.exists(keys.for(id).lease)).toBe(0);
    const pttl = await client.pttl(keys.for(id).entry);
    expect(pttl).toBeGreaterThan(60_000);
    expect(pttl).toBeLessThanOrEqual(120_000);
  });

  it('when an invalidation lands between the lease and the fill, then the fill is rejected (no stale set)', async () => {
    const id = newId();
    const token = await leased(id);
    expect(await store.invalidate(id, 2, FLOOR_TTL)).toBe('invalidated');
    expect(await fill(id, token, 1)).toBe('lease_lost');
    expect(await store.get(id)).toBeNull();
  });

  it('when the lease is evicted or expires before the fill, then the fill fails', async () => {
    const evicted = newId();
    const token = await leased(evicted);
    await client.del(keys.for(evicted).lease);
    expect(await fill(evicted, token, 1)).toBe('lease_lost');

    const expired = newId();
    const reply = await store.readOrLease(expired, 'short', 20, 'miss');
    expect(reply.kind).toBe('lease');
    await new Promise((r) => setTimeout(r, 60));
    expect(await fill(expired, 'short', 1)).toBe('lease_lost');
    expect(await store.get(expired)).toBeNull();
  });

  it('when another caller took over an expired lease, then the first holder cannot fill', async () => {
    const id = newId();
    expect((await store.readOrLease(id, 'first', 20, 'miss')).kind).toBe('lease');
    await new Promise((r) => setTimeout(r, 60));
    expect((await store.readOrLease(id, 'second', 5000, 'miss')).kind).toBe('lease');
    expect(await fill(id, 'first', 1)).toBe('lease_lost');
    expect(await fill(id, 'second', 1)).toBe('stored');
  });

  it('when a fill carries a version below the floor, then it is rejected', async () => {
    const id = newId();
    await store.invalidate(id, 5, FLOOR_TTL);
    const token = await leased(id);
    expect(await fill(id, token, 4)).toBe('version_rejected');
    const again = await leased(id);
    expect(await fill(id, again, 5)).toBe('stored');
  });

  it('when older or duplicate invalidations arrive, then a newer entry stays and the floor never drops', async () => {
    const id = newId();
    await store.invalidate(id, 4, FLOOR_TTL);
    const token = await leased(id);
    expect(await fill(id, token, 4)).toBe('stored');
    expect(await store.invalidate(id, 3, FLOOR_TTL)).toBe('skipped');
    expect(await store.invalidate(id, 4, FLOOR_TTL)).toBe('skipped');
    expect(decode(await store.get(id))?.version).toBe(4);
    expect(await client.get(keys.for(id).floor)).toBe('4');
    expect(await store.invalidate(id, 5, FLOOR_TTL)).toBe('invalidated');
    expect(await store.get(id)).toBeNull();
    expect(await store.invalidate(id, 2, FLOOR_TTL)).toBe('skipped');
    expect(await client.get(keys.for(id).floor)).toBe('5');
    expect(await client.pttl(keys.for(id).floor)).toBeGreaterThan(0);
  });

  it('when a replayed event at or below the floor arrives during a fill, then the fill still succeeds', async () => {
    const id = newId();
    await store.invalidate(id, 2, FLOOR_TTL);
    const token = await leased(id);
    expect(await store.invalidate(id, 2, FLOOR_TTL)).toBe('skipped');
    expect(await store.invalidate(id, 1, FLOOR_TTL)).toBe('skipped');
    expect(await fill(id, token, 2)).toBe('stored');
  });

  it('when a negative entry exists and the id is created, then any invalidation removes it', async () => {
    const id = newId();
    const token = await leased(id);
    expect(await fill(id, token, 0)).toBe('stored');
    expect(decode(await store.get(id))?.value).toBeUndefined();
    expect(await store.invalidate(id, 1, FLOOR_TTL)).toBe('invalidated');
    expect(await store.get(id)).toBeNull();
  });

  it('when an unconditional invalidation runs, then entry and lease go and the floor stays', async () => {
    const id = newId();
    await store.invalidate(id, 3, FLOOR_TTL);
    const token = await leased(id);
    await fill(id, token, 3);
    await leased(newId());
    expect(await store.invalidate(id, 0, FLOOR_TTL)).toBe('invalidated');
    expect(await store.get(id)).toBeNull();
    expect(await client.get(keys.for(id).floor)).toBe('3');
  });

  it('when an entry is refreshed, then the lease is granted over it and an older version cannot replace it', async () => {
    const id = newId();
    const token = await leased(id);
    await fill(id, token, 3);
    const refresh = await store.readOrLease(id, 'refresh', 5000, 'refresh');
    expect(refresh.kind).toBe('lease');
    expect((await store.readOrLease(id, 'other', 5000, 'refresh')).kind).toBe('wait');
    expect(await fill(id, 'refresh', 2)).toBe('version_rejected');
    expect(decode(await store.get(id))?.version).toBe(3);
    expect((await store.readOrLease(id, 'again', 5000, 'refresh')).kind).toBe('lease');
    expect(await fill(id, 'again', 3)).toBe('stored');
  });

  it('when the lease is given back, then another caller gets it at once', async () => {
    const id = newId();
    const token = await leased(id);
    await store.release(id, 'not-mine');
    expect((await store.readOrLease(id, 'x', 5000, 'miss')).kind).toBe('wait');
    await store.release(id, token);
    expect((await store.readOrLease(id, 'x', 5000, 'miss')).kind).toBe('lease');
  });
});

// A server of its own: the assertions count this server's commands.
describe('CacheStore read coalescing on a single node', () => {
  let server: RedisServer;
  let client: Redis;
  const keys = new CacheKeys({
    name: 'item',
    keyspace: new Keyspace({ service: 'shop', namespace: 'coalesce' }),
  });
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  async function commandCalls(): Promise<Record<string, number>> {
    const stats = await client.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return { get: calls('get'), mget: calls('mget') };
  }

  it('when 20 reads arrive in one turn, then Redis sees 2 MGETs (16 + 4) and no GET', async () => {
    const store = new CacheStore(client as RedisClient, keys, { maxReadBatch: 16 });
    const ids = Array.from({ length: 20 }, newId);
    await Promise.all(ids.map((id, i) => client.set(keys.for(id).entry, `entry-${i}`)));
    await client.config('RESETSTAT');
    const raws = await Promise.all(ids.map((id) => store.get(id)));
    expect(raws).toEqual(ids.map((_, i) => `entry-${i}`));
    expect(await commandCalls()).toEqual({ get: 0, mget: 2 });
  });

  it('when maxReadBatch is 1, then every read is its own GET', async () => {
    const store = new CacheStore(client as RedisClient, keys, { maxReadBatch: 1 });
    await client.config('RESETSTAT');
    await Promise.all(Array.from({ length: 5 }, () => store.get(newId())));
    expect(await commandCalls()).toEqual({ get: 5, mget: 0 });
  });
});

// A cluster of its own: the assertions count its masters' commands.
describe('CacheStore read coalescing on a cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  const keys = new CacheKeys({
    name: 'item',
    keyspace: new Keyspace({ service: 'shop', namespace: 'coalesce' }),
  });
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    client = new Cluster([...cluster.nodes]);
    await waitForReady(client, 10_000);
  }, 60000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  async function commandCalls(): Promise<Record<string, number>> {
    const total = { get: 0, mget: 0 };
    for (const node of client.nodes('master')) {
      const stats = await node.info('commandstats');
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      total.get += calls('get');
      total.mget += calls('mget');
    }
    return total;
  }
  const resetStats = () => Promise.all(client.nodes('master').map((node) => node.config('RESETSTAT')));

  it('when 20 reads of 2 hot ids arrive in one turn, then each id slot gets one MGET and every read its own entry', async () => {
    const store = new CacheStore(client as RedisClient, keys, { maxReadBatch: 16 });
    const hot = [newId(), newId()];
    if (keySlot(keys.entry(hot[0] as string)) === keySlot(keys.entry(hot[1] as string)))
      hot[1] = `${hot[1]}x`;
    await Promise.all(hot.map((id, i) => client.set(keys.for(id).entry, `entry-${i}`)));
    await resetStats();
    const raws = await Promise.all(Array.from({ length: 20 }, (_, i) => store.get(hot[i % 2] as string)));
    expect(raws).toEqual(Array.from({ length: 20 }, (_, i) => `entry-${i % 2}`));
    expect(await commandCalls()).toEqual({ get: 0, mget: 2 });
  });

  it('when reads of distinct ids arrive in one turn, then no MGET mixes slots: a lone read per slot stays a GET', async () => {
    const store = new CacheStore(client as RedisClient, keys, { maxReadBatch: 16 });
    const ids = Array.from({ length: 12 }, newId);
    await Promise.all(ids.map((id, i) => client.set(keys.for(id).entry, `entry-${i}`)));
    await resetStats();
    expect(await Promise.all(ids.map((id) => store.get(id)))).toEqual(ids.map((_, i) => `entry-${i}`));
    const perSlot = new Map<number, number>();
    for (const id of ids) {
      const slot = keySlot(keys.entry(id));
      perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    }
    const counts = [...perSlot.values()];
    expect(await commandCalls()).toEqual({
      get: counts.filter((n) => n === 1).length,
      mget: counts.filter((n) => n > 1).length,
    });
  });
});
