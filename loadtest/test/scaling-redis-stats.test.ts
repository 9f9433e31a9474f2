import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processCpuSeconds } from '../src/scaling/process-cpu';
import { RedisMeter } from '../src/scaling/redis-meter';
import {
  diffReadings,
  parseCommandstats,
  parseCpuSeconds,
  perOperation,
  readRedis,
} from '../src/scaling/redis-stats';

// A redis-server of its own: the deltas must count exactly what these tests send.
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('INFO commandstats and cpu', () => {
  it('when real INFO output is parsed, then every command line becomes calls and usec, and other lines are skipped', async () => {
    await redis.set('scaling:parse', '1');
    const text = await redis.info('commandstats');
    const commands = parseCommandstats(`${text}\r\n# Cpu\r\nused_cpu_sys:1.5\r\n`);
    expect(commands.get('set')?.calls).toBeGreaterThanOrEqual(1);
    expect(commands.get('info')?.calls).toBeGreaterThanOrEqual(1);
    expect([...commands.keys()].every((name) => /^[a-z_|-]+$/.test(name))).toBe(true);
    expect(parseCpuSeconds(await redis.info('cpu'))).toBeGreaterThan(0);
  });

  it('when a field is missing or unreadable, then parsing throws instead of reading zero', () => {
    expect(() => parseCpuSeconds('# CPU\r\nused_cpu_sys:0.1\r\n')).toThrow(/used_cpu_user/);
    expect(() => parseCommandstats('cmdstat_get:calls=x,usec=3\r\n')).toThrow(/calls\/usec/);
  });

  it('when commands and a script run between two readings, then the delta counts exactly them, the script-called GETs under their own name, INFO left out', async () => {
    const before = await readRedis(redis);
    for (let i = 0; i < 40; i++) await redis.set(`scaling:k${i}`, String(i));
    for (let i = 0; i < 10; i++) {
      await redis.eval(
        "redis.call('GET', KEYS[1]); return redis.call('GET', KEYS[2])",
        2,
        'scaling:k1',
        'scaling:k2',
      );
    }
    const delta = diffReadings(before, await readRedis(redis));
    expect(Object.fromEntries([...delta.commands].map(([name, c]) => [name, c.calls]))).toEqual({
      set: 40,
      eval: 10,
      get: 20,
    });
    expect(delta.cpuSeconds).toBeGreaterThanOrEqual(0);

    const perEval = perOperation(delta, 10);
    expect(perEval.calls).toBe(7);
    expect(perEval.scriptUsec).toBeGreaterThan(0);
    expect(perEval.otherUsec).toBeGreaterThan(0);
    expect(perEval.byCommand.get?.calls).toBe(2);
    expect(() => perOperation(delta, 0)).toThrow(/no operations/);
  });

  it('when the statistics are reset between two readings, then the delta refuses to be computed', async () => {
    for (let i = 0; i < 5; i++) await redis.get('scaling:k1');
    const before = await readRedis(redis);
    await redis.config('RESETSTAT');
    await redis.get('scaling:k1');
    const after = await readRedis(redis);
    expect(() => diffReadings(before, after)).toThrow(/backwards/);
  });
});

describe('RedisMeter', () => {
  it('when a run sends one GET per operation, then it measures one command and a non-zero Redis CPU per operation', async () => {
    const meter = new RedisMeter(redis, { quietS: 0.2 });
    const ops = 3000;
    const measured = await meter.measure(async () => {
      for (let done = 0; done < ops; done += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, i) => redis.get(`scaling:k${i % 40}`)));
      }
    });
    const cost = perOperation(measured.redis, ops);
    expect(cost.calls).toBe(1);
    expect(Object.keys(cost.byCommand)).toEqual(['get']);
    expect(cost.cpuUsec).toBeGreaterThan(0);
    // A GET costs Redis microseconds, not milliseconds (the CPU counters tick per 1–10 ms).
    expect(cost.cpuUsec).toBeLessThan(500);
    expect(measured.elapsedS).toBeGreaterThan(0);
    expect(measured.callerCpuSeconds).toBeGreaterThan(0);
  });
});

describe('processCpuSeconds', () => {
  it('when the process burns CPU, then its /proc time grows; a process that is gone reads 0', () => {
    const before = processCpuSeconds(process.pid);
    const until = Date.now() + 120;
    let x = 0;
    while (Date.now() < until) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(before);
    expect(processCpuSeconds(2 ** 22 + 12345)).toBe(0);
  });

  it('when the process runs for less than one clock tick, then its time still grows (nanoseconds, not ticks)', () => {
    // 2 ms of work is a fifth of a /proc/<pid>/stat tick: read in ticks, most such windows show 0.
    let grew = 0;
    for (let i = 0; i < 10; i++) {
      const before = processCpuSeconds(process.pid);
      const until = performance.now() + 2;
      let x = 0;
      while (performance.now() < until) x += Math.sqrt(x + 1);
      expect(x).toBeGreaterThan(0);
      if (processCpuSeconds(process.pid) > before) grew++;
    }
    expect(grew).toBe(10);
  });
});
