import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type RedisServer, startRedisServer } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../src/server';

// The example against a Redis of its own: in-process through the same start function main.ts calls, and
// as a user runs it, the compiled program with REDIS_URL.
const KEY = 'k_live_0123456789abcdef';

let redis: RedisServer;
let example: RunningExample;
beforeAll(async () => {
  redis = await startRedisServer();
  example = await startExample({ redisUrl: redis.url, port: 0 });
});
afterAll(async () => {
  await example?.close();
  await redis?.stop();
});

const get = (path: string, apiKey?: string) =>
  fetch(`${example.url}${path}`, { headers: apiKey ? { 'x-api-key': apiKey } : {} });

describe('the ratelimit-express example', () => {
  it('when one API key calls faster than its rate, then its burst of 10 is served with headers and the rest get a 429 problem+json', async () => {
    const first = await get('/api/quotes', KEY);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"key-rate";q=5;w=1, "key-daily";q=10000;w=86400');
    expect(first.headers.get('ratelimit')).toMatch(/^"key-rate";r=9;t=1, "key-daily";r=9999;t=\d+$/);
    // 14 more at once: 9 fit the burst (a unit refills every 200 ms, so a slow CPU may let one more in).
    const rest = await Promise.all(Array.from({ length: 14 }, () => get('/api/quotes', KEY)));
    const served = rest.filter((r) => r.status === 200).length;
    expect(served).toBeGreaterThanOrEqual(9);
    expect(served).toBeLessThanOrEqual(10);
    const refused = rest.find((r) => r.status === 429);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(refused?.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await refused?.json()).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      status: 429,
      'violated-policies': ['key-rate'],
    });
  });

  it('when another key, an anonymous caller and the health check call, then each has its own quota and health none', async () => {
    expect((await get('/api/quotes', 'k_other_0123456789abcdef')).status).toBe(200);
    const anonymous = await Promise.all(Array.from({ length: 6 }, () => get('/api/quotes')));
    expect(anonymous.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3);
    expect(anonymous.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
    expect(anonymous[0]?.headers.get('ratelimit-policy')).toBe('"anonymous";q=1;w=1');
    // A malformed key is no key: it spends the anonymous quota.
    expect((await get('/api/quotes', 'short')).headers.get('ratelimit-policy')).toBe('"anonymous";q=1;w=1');
    for (let i = 0; i < 20; i++) {
      const health = await get('/health');
      expect(health.status).toBe(200);
      expect(health.headers.get('ratelimit')).toBeNull();
    }
  });

  it('when a key posts a report, then it spends 5 units of its rate', async () => {
    const key = 'k_reports_0123456789abcdef';
    const post = () => fetch(`${example.url}/api/reports`, { method: 'POST', headers: { 'x-api-key': key } });
    const first = await post();
    expect(first.status).toBe(202);
    expect(first.headers.get('ratelimit')).toMatch(/^"key-rate";r=5;/);
    expect((await post()).status).toBe(202);
    expect((await post()).status).toBe(429);
  });
});

describe('the compiled example program', () => {
  const main = path.join(__dirname, '..', 'dist', 'main.js');
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('when started with REDIS_URL and PORT, then it serves limited requests and exits 0 on SIGTERM', async () => {
    if (!fs.existsSync(main))
      throw new Error('run `npm run build` before this test: the example is compiled');
    const port = await freePort();
    const proc = spawn(process.execPath, [main], {
      env: { ...process.env, REDIS_URL: redis.url, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /listening on (\S+)/.exec(out);
        if (found) resolve(found[1] as string);
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
    });
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const res = await fetch(`${url}/api/quotes`, { headers: { 'x-api-key': 'k_compiled_0123456789abcdef' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit')).toMatch(/^"key-rate";r=9;/);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
