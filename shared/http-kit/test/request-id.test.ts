import { request as httpRequest } from 'node:http';
import { errorHandler, getRequestId, isSaneRequestId, requestId } from '@redwire/http-kit';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { recordingLogger, serve } from './helpers';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function start() {
  const app = express();
  app.use(requestId());
  app.get('/id', (req, res) => {
    res.json({ locals: getRequestId(res), reqId: (req as unknown as { id: unknown }).id });
  });
  app.use(errorHandler({ logger: recordingLogger() }));
  return serve(app);
}

describe('requestId', () => {
  it('when the client sends a sane id, then it is echoed and exposed to handlers', async () => {
    const server = await start();
    const id = 'abc-123_4.5:6';
    const res = await fetch(`${server.url}/id`, { headers: { 'x-request-id': id } });
    expect(res.headers.get('x-request-id')).toBe(id);
    expect(await res.json()).toEqual({ locals: id, reqId: id });
  });

  it('when the client sends none, then a UUID v4 is generated per request', async () => {
    const server = await start();
    const a = await fetch(`${server.url}/id`);
    const b = await fetch(`${server.url}/id`);
    const idA = a.headers.get('x-request-id') ?? '';
    expect(idA).toMatch(UUID_V4);
    expect(b.headers.get('x-request-id')).not.toBe(idA);
    expect(await a.json()).toEqual({ locals: idA, reqId: idA });
  });

  it.each([
    ['too long', 'a'.repeat(129)],
    ['spaces', 'a b'],
    ['log injection', 'abc\\nlevel=error'],
    ['quotes', '"x"'],
    ['slashes', '../../etc'],
  ])('when the client id has %s, then a fresh one replaces it', async (_case, id) => {
    const server = await start();
    const res = await fetch(`${server.url}/id`, { headers: { 'x-request-id': id } });
    expect(res.headers.get('x-request-id')).toMatch(UUID_V4);
  });

  it('when the client sends two X-Request-Id headers, then neither is trusted', async () => {
    const server = await start();
    const header = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpRequest(`${server.url}/id`, { headers: { 'x-request-id': ['one', 'two'] } }, (res) => {
        res.resume();
        resolve(res.headers['x-request-id'] as string | undefined);
      });
      req.on('error', reject);
      req.end();
    });
    expect(header).toMatch(UUID_V4);
  });

  it('when an id is 128 characters of the allowed alphabet, then it is sane', () => {
    expect(isSaneRequestId('A'.repeat(128))).toBe(true);
    expect(isSaneRequestId('')).toBe(false);
    expect(isSaneRequestId(undefined)).toBe(false);
  });

  it('when an error happens before requestId ran, then the problem still carries a generated id', async () => {
    const app = express();
    app.use(() => {
      throw new Error('early');
    });
    app.use(errorHandler({ logger: recordingLogger() }));
    const server = await serve(app);
    const res = await fetch(server.url);
    const body = (await res.json()) as { instance: string };
    expect(res.headers.get('x-request-id')).toMatch(UUID_V4);
    expect(body.instance).toBe(res.headers.get('x-request-id'));
  });
});
