import { EventEmitter } from 'node:events';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingLogger } from './helpers';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(url: string, agent: Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const agents: Agent[] = [];
afterEach(() => {
  for (const agent of agents.splice(0)) agent.destroy();
});

async function setup(options: { timeoutMs?: number; resourceTimeoutMs?: number; slowMs?: number } = {}) {
  const events: string[] = [];
  const exits: number[] = [];
  const signals = new EventEmitter();
  const logger = recordingLogger();
  const app = express();
  app.get('/slow', async (_req, res) => {
    events.push('slow:start');
    await sleep(options.slowMs ?? 500);
    res.on('finish', () => events.push('slow:finished'));
    res.json({ done: true });
  });
  app.get('/fast', (_req, res) => {
    res.json({ ok: true });
  });
  const http = await startHttpServer(app);
  const shutdown = createShutdown({
    servers: [http.server],
    timeoutMs: options.timeoutMs ?? 5000,
    resourceTimeoutMs: options.resourceTimeoutMs ?? 1000,
    logger,
    signalSource: signals,
    exit: (code) => {
      events.push(`exit:${code}`);
      exits.push(code);
    },
  });
  return { http, shutdown, signals, events, exits, logger };
}

describe('graceful shutdown', () => {
  it('when SIGTERM arrives during a slow request, then it finishes, resources close in order, and the process exits 0', async () => {
    const { http, shutdown, signals, events, exits } = await setup();
    shutdown.register('worker', async () => {
      await sleep(20);
      events.push('close:worker');
    });
    shutdown.register('redis', () => {
      events.push('close:redis');
    });
    shutdown.register('postgres', async () => {
      events.push('close:postgres');
    });

    const slow = get(`${http.url}/slow`);
    while (!events.includes('slow:start')) await sleep(5);
    signals.emit('SIGTERM');
    signals.emit('SIGTERM');
    signals.emit('SIGINT');
    expect(shutdown.isShuttingDown()).toBe(true);
    expect(shutdown.signal.aborted).toBe(true);

    await expect(get(`${http.url}/fast`)).rejects.toThrow(/ECONNREFUSED/);
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ done: true });
    expect(reply.headers.connection).toBe('close');

    expect(await shutdown.shutdown()).toBe(0);
    expect(events).toEqual([
      'slow:start',
      'slow:finished',
      'close:worker',
      'close:redis',
      'close:postgres',
      'exit:0',
    ]);
    expect(exits).toEqual([0]);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('when a keep-alive client holds an idle connection, then shutdown does not wait for the keep-alive timeout', async () => {
    const { http, shutdown } = await setup();
    const agent = new Agent({ keepAlive: true });
    agents.push(agent);
    expect((await get(`${http.url}/fast`, agent)).status).toBe(200);
    const started = performance.now();
    expect(await shutdown.shutdown('test')).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('when a keep-alive connection finishes its in-flight request during the drain, then it is closed right after', async () => {
    const { http, shutdown, events } = await setup({ slowMs: 300 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    expect((await get(`${http.url}/fast`, agent)).status).toBe(200);
    const slow = get(`${http.url}/slow`, agent);
    while (!events.includes('slow:start')) await sleep(5);
    const started = performance.now();
    const done = shutdown.shutdown('test');
    expect((await slow).status).toBe(200);
    expect(await done).toBe(0);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('when a request outlives the drain bound, then its connection is destroyed and shutdown still completes', async () => {
    const { http, shutdown, exits, logger } = await setup({ timeoutMs: 300, slowMs: 5000 });
    const slow = get(`${http.url}/slow`);
    await sleep(50);
    const started = performance.now();
    expect(await shutdown.shutdown('test')).toBe(0);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2500);
    await expect(slow).rejects.toThrow();
    expect(exits).toEqual([0]);
    expect(logger.entries.some((e) => e.level === 'warn' && e.obj.inFlight === 1)).toBe(true);
  });

  it('when a resource fails or hangs on close, then later resources still close and the exit code is 1', async () => {
    const { shutdown, events, exits, logger } = await setup({ resourceTimeoutMs: 200 });
    shutdown.register('broken', () => {
      throw new Error('close failed');
    });
    shutdown.register('hanging', () => new Promise(() => {}));
    shutdown.register('pool', () => {
      events.push('close:pool');
    });
    const started = performance.now();
    expect(await shutdown.shutdown('test')).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(events).toContain('close:pool');
    expect(exits).toEqual([1]);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.obj.resource)).toEqual([
      'broken',
      'hanging',
    ]);
    expect(() => shutdown.register('late', () => {})).toThrow(/already started/);
  });
});
