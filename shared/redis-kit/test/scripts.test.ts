import path from 'node:path';
import { type RedisCluster, type RedisServer, startRedisCluster, startRedisServer } from '@redwire/launchers';
import { uniquePrefix } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CrossSlotError,
  compareAndDelete,
  compareAndSet,
  createRedisClient,
  defineScript,
  Keyspace,
  kitScripts,
  type RedisClient,
  runScript,
  type ScriptDefinition,
  waitForReady,
} from '../src/index';
import { deadLetterScript } from '../src/streams/dead-letter';
import { masters, TOPOLOGIES, type Topology, useRedis } from './support/topologies';

const allScripts: ScriptDefinition[] = [
  kitScripts.compareAndDelete,
  kitScripts.compareAndSet,
  deadLetterScript,
];

// Two keys in one slot, time from the server: moves a value and stamps when it moved.
const moveWithTime = defineScript({
  name: 'move-with-time',
  numberOfKeys: 2,
  lua: `local v = redis.call('GET', KEYS[1])
if not v then return false end
local t = redis.call('TIME')
redis.call('SET', KEYS[2], v)
redis.call('DEL', KEYS[1])
return {v, t[1]}`,
});

// Counts its runs, then fails: proves a failing script is not re-run by runScript.
const countThenFail = defineScript({
  name: 'count-then-fail',
  numberOfKeys: 1,
  lua: `redis.call('INCR', KEYS[1]) return redis.error_reply('ERR boom')`,
});

describe('defineScript', () => {
  it('when a file is named <command>-<numKeys>.lua, then name and key count come from it', () => {
    expect(kitScripts.compareAndDelete).toMatchObject({ name: 'compare-and-delete', numberOfKeys: 1 });
    expect(deadLetterScript).toMatchObject({ name: 'dead-letter', numberOfKeys: 2 });
    expect(kitScripts.compareAndSet.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('when a file name does not follow the convention, then it throws', () => {
    expect(() => defineScript({ file: path.join(__dirname, 'not-a-script.lua') })).toThrow(/numKeys/);
  });
});

describe.each(TOPOLOGIES)('scripts (%s)', (topology) => {
  const redis = useRedis(topology);

  it('when each script is loaded with SCRIPT LOAD, then Redis returns the SHA computed at definition', async () => {
    const client = await redis.client();
    for (const script of [...allScripts, moveWithTime, countThenFail]) {
      for (const node of masters(client)) expect(await node.script('LOAD', script.lua)).toBe(script.sha);
    }
  });

  it('when a two-key script keeps its keys in one slot, then it runs atomically with server time', async () => {
    const client = await redis.client();
    const from = redis.keys.tagged('move', 'slot-a', 'from');
    const to = redis.keys.tagged('move', 'slot-a', 'to');
    await client.set(from, 'payload', 'PX', 60_000);
    const before = Math.floor(Date.now() / 1000);
    const [value, seconds] = (await runScript(client, moveWithTime, [from, to])) as [string, string];
    expect(value).toBe('payload');
    expect(Math.abs(Number(seconds) - before)).toBeLessThanOrEqual(2);
    expect(await client.get(to)).toBe('payload');
    expect(await client.exists(from)).toBe(0);
    await client.del(to);
  });

  it('when keys are in different slots, then runScript refuses before sending anything', async () => {
    const client = await redis.client();
    const a = redis.keys.key('move', 'a');
    const b = redis.keys.key('move', 'b');
    await expect(runScript(client, moveWithTime, [a, b])).rejects.toBeInstanceOf(CrossSlotError);
  });

  it("when keys are in different slots and crossSlot is 'single-node', then a single node runs it and a cluster refuses", async () => {
    const client = await redis.client();
    const from = redis.keys.key('move', 'c');
    const to = redis.keys.key('move', 'd');
    await client.set(from, 'payload', 'PX', 60_000);
    const run = runScript(client, moveWithTime, [from, to], [], { crossSlot: 'single-node' });
    if (topology === 'cluster') {
      await expect(run).rejects.toThrow(/single node/);
      expect(await client.get(from)).toBe('payload');
      await client.del(from);
    } else {
      const [value] = (await run) as [string];
      expect(value).toBe('payload');
      expect(await client.get(to)).toBe('payload');
      await client.del(to);
    }
  });

  it('when the key count does not match the script, then runScript throws', async () => {
    const client = await redis.client();
    await expect(runScript(client, moveWithTime, [redis.keys.key('move', 'x')])).rejects.toThrow(
      /takes 2 keys/,
    );
  });

  it('when comparing before delete or set, then only the holder of the expected value wins', async () => {
    const client = await redis.client();
    const key = redis.keys.key('lease', 'cas');
    await client.set(key, 'mine', 'PX', 60_000);
    expect(await compareAndDelete(client, key, 'theirs')).toBe(false);
    expect(await compareAndSet(client, key, 'theirs', 'x', 1000)).toBe(false);
    expect(await compareAndSet(client, key, 'mine', 'done', 5000)).toBe(true);
    expect(await client.get(key)).toBe('done');
    expect(await client.pttl(key)).toBeGreaterThan(4000);
    expect(await compareAndDelete(client, key, 'done')).toBe(true);
    expect(await compareAndDelete(client, key, 'done')).toBe(false);
  });
});

// SCRIPT FLUSH on the shared servers would disturb other suites running in parallel: use our own.
describe.each(TOPOLOGIES)('scripts after SCRIPT FLUSH (%s, own server)', (topology: Topology) => {
  let server: RedisServer | RedisCluster;
  let client: RedisClient;
  const keys = new Keyspace({ service: 'kit', namespace: uniquePrefix('rk') });

  beforeAll(async () => {
    server = topology === 'single' ? await startRedisServer() : await startRedisCluster(3);
    client = createRedisClient({
      ...('url' in server ? { url: server.url } : { clusterNodes: server.nodes }),
      service: 'kit-test',
      commandTimeoutMs: 2000,
    });
    await waitForReady(client, 10_000);
  });
  afterAll(async () => {
    client.disconnect();
    await server.stop();
  });

  it('when the script cache was flushed, then runScript falls back to EVAL and EVALSHA works again', async () => {
    const key = keys.key('lease', 'flushed');
    await client.set(key, 'token-1', 'PX', 60_000);
    await Promise.all(masters(client).map((node) => node.script('FLUSH')));
    expect(await compareAndDelete(client, key, 'token-1')).toBe(true);
    // EVAL cached the script on that node: a bare EVALSHA now succeeds.
    await client.set(key, 'token-2', 'PX', 60_000);
    expect(await client.evalsha(kitScripts.compareAndDelete.sha, 1, key, 'token-2')).toBe(1);
  });

  it('when a two-key script runs after a flush, then it runs once on the slot owner', async () => {
    await Promise.all(masters(client).map((node) => node.script('FLUSH')));
    const from = keys.tagged('move', 'flushed', 'from');
    const to = keys.tagged('move', 'flushed', 'to');
    await client.set(from, 'v', 'PX', 60_000);
    expect(await runScript(client, moveWithTime, [from, to])).toEqual(['v', expect.any(String)]);
    expect(await client.get(to)).toBe('v');
  });

  it('when a script fails with an error other than NOSCRIPT, then it is not run again', async () => {
    const key = keys.key('runs', 'failing');
    await expect(runScript(client, countThenFail, [key])).rejects.toThrow(/boom/);
    await Promise.all(masters(client).map((node) => node.script('FLUSH')));
    await expect(runScript(client, countThenFail, [key])).rejects.toThrow(/boom/);
    expect(await client.get(key)).toBe('2');
  });
});
