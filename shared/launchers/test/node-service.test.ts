import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, pollUntil, startNodeService } from '@redwire/launchers';
import { afterAll, describe, expect, it } from 'vitest';

// Real child processes: tiny Node scripts written to a temporary folder.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-node-service-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function script(name: string, source: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  return file;
}

const server = script(
  'server.js',
  `const http = require('node:http');
console.log('greeting=' + process.env.GREETING);
const ready = Date.now() + Number(process.env.READY_AFTER_MS);
http.createServer((req, res) => { res.statusCode = Date.now() >= ready ? 200 : 503; res.end(); })
  .listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { console.log('draining'); setTimeout(() => process.exit(0), 50); });`,
);

describe('startNodeService', () => {
  it('when the service answers 200 only after a while, then start resolves once it does, with its environment and its lines', async () => {
    const port = await freePort();
    const lines: string[] = [];
    const started = performance.now();
    const service = await startNodeService({
      name: 'slow',
      entry: server,
      env: { PORT: String(port), READY_AFTER_MS: '400', GREETING: 'hello' },
      readyUrl: `http://127.0.0.1:${port}/`,
      onLine: (line) => lines.push(line),
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(350);
    expect(service.running).toBe(true);
    expect(lines).toContain('greeting=hello');
    await service.stop();
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(lines).toContain('draining');
  });

  it('when a ready line is awaited, then start resolves once the child prints it, with the line, the stream of each line kept apart', async () => {
    const entry = script(
      'announcer.js',
      `console.error('warming up'); setTimeout(() => console.log('ready: port 1234'), 300); setInterval(() => {}, 1000);`,
    );
    const streams: string[] = [];
    const service = await startNodeService({
      name: 'announcer',
      entry,
      env: {},
      readyLine: /^ready: /,
      onLine: (line, stream) => streams.push(`${stream} ${line}`),
    });
    expect(service.readyLine).toBe('ready: port 1234');
    expect(streams).toEqual(['stderr warming up', 'stdout ready: port 1234']);
    await service.stop('SIGINT');
    expect((await service.exited).signal).toBe('SIGINT');
  });

  it('when the service exits during start-up, then start rejects at once with its exit and last lines', async () => {
    const entry = script('crash.js', `console.error('no config: BOOM'); process.exit(3);`);
    const started = performance.now();
    await expect(
      startNodeService({
        name: 'crashy',
        entry,
        env: {},
        readyUrl: 'http://127.0.0.1:9/',
        readyTimeoutMs: 20_000,
      }),
    ).rejects.toThrow(/crashy exited with code 3 during start-up:\nno config: BOOM/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('when the service never becomes ready, then start stops it and rejects after the deadline', async () => {
    const port = await freePort();
    const lines: string[] = [];
    await expect(
      startNodeService({
        name: 'never',
        entry: server,
        env: { PORT: String(port), READY_AFTER_MS: '600000' },
        readyUrl: `http://127.0.0.1:${port}/`,
        readyTimeoutMs: 500,
        onLine: (line) => lines.push(line),
      }),
    ).rejects.toThrow(`never was not ready at http://127.0.0.1:${port}/`);
    expect(lines).toContain('draining');
  });
});

describe('pollUntil', () => {
  it('when the probe returns a value after some tries, then it resolves with that value', async () => {
    let calls = 0;
    const value = await pollUntil(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('when the probe never holds, then it rejects naming what was awaited, with the last error as cause and the detail', async () => {
    const failure = pollUntil(
      () => {
        throw new Error('not yet');
      },
      { what: 'the answer', timeoutMs: 50, intervalMs: 5, detail: () => 'last output' },
    );
    await expect(failure).rejects.toThrow('the answer: not within 50 ms\nlast output');
    await expect(failure).rejects.toHaveProperty('cause.message', 'not yet');
  });

  it('when abort gives a reason, then it rejects with it without waiting for the deadline', async () => {
    const started = performance.now();
    await expect(
      pollUntil(() => false, { timeoutMs: 10_000, abort: () => 'the process exited' }),
    ).rejects.toThrow('the process exited');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
