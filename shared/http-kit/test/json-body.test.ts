import { gzipSync } from 'node:zlib';
import { errorHandler, jsonBody, parseWith, requestId } from '@redwire/http-kit';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readProblem, recordingLogger, serve } from './helpers';

const patchSchema = z
  .object({ name: z.string().trim().min(1).max(100).optional(), bio: z.string().max(1000).optional() })
  .refine((b) => Object.keys(b).length > 0, 'At least one field is required');

async function start() {
  const app = express();
  app.use(requestId());
  app.use(jsonBody());
  app.post('/echo', (req, res) => {
    res.json({ body: req.body ?? null });
  });
  app.patch('/users', (req, res) => {
    res.json(parseWith(patchSchema, req.body));
  });
  app.post('/size', (req, res) => {
    res.json({ length: JSON.stringify(req.body).length });
  });
  app.get('/items', (req, res) => {
    const query = parseWith(
      z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
      req.query,
    );
    res.json({ query, body: req.body ?? null });
  });
  app.delete('/items/:id', (req, res) => {
    res.json(parseWith(z.object({ id: z.uuid() }), req.params));
  });
  app.use(errorHandler({ logger: recordingLogger() }));
  return serve(app);
}

const json = { 'content-type': 'application/json' };

/** A JSON object whose serialisation is exactly `bytes` long: {"p":"xxx…"}. */
function bodyOfSize(bytes: number): string {
  return JSON.stringify({ p: 'x'.repeat(bytes - 8) });
}

describe('jsonBody', () => {
  it('when the body is valid JSON, then the handler gets it', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers: json, body: '{"a":[1,2]}' });
    expect(await res.json()).toEqual({ body: { a: [1, 2] } });
  });

  it('when the content type carries charset=utf-8, then it is accepted', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ['{"a":', 'truncated'],
    ['{"a":1,}', 'trailing comma'],
    ['"just a string"', 'a top-level scalar'],
    ['nul', 'garbage'],
  ])('when the body is %j (%s), then 400 E_MALFORMED_JSON without echoing it', async (raw) => {
    const server = await start();
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers: json, body: raw });
    const text = await res.clone().text();
    const body = await readProblem(res);
    expect(body).toMatchObject({ status: 400, code: 'E_MALFORMED_JSON' });
    if (raw.length > 4) expect(text).not.toContain(raw);
  });

  it('when the body is exactly 64 KiB, then it is accepted', async () => {
    const server = await start();
    const raw = bodyOfSize(64 * 1024);
    expect(Buffer.byteLength(raw)).toBe(65536);
    const res = await fetch(`${server.url}/size`, { method: 'POST', headers: json, body: raw });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ length: 65536 });
  });

  it('when the body is 64 KiB + 1, then 413 E_PAYLOAD_TOO_LARGE', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/size`, { method: 'POST', headers: json, body: bodyOfSize(65537) });
    expect(await readProblem(res)).toMatchObject({ status: 413, code: 'E_PAYLOAD_TOO_LARGE' });
  });

  it('when a chunked body (no Content-Length) exceeds 64 KiB, then 413', async () => {
    const server = await start();
    const raw = bodyOfSize(70_000);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(raw.slice(0, 40_000)));
        controller.enqueue(new TextEncoder().encode(raw.slice(40_000)));
        controller.close();
      },
    });
    const res = await fetch(`${server.url}/size`, {
      method: 'POST',
      headers: json,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await readProblem(res)).toMatchObject({ status: 413, code: 'E_PAYLOAD_TOO_LARGE' });
  });

  it.each([
    [{ 'content-type': 'text/plain' }, '{"a":1}'],
    [{ 'content-type': 'application/x-www-form-urlencoded' }, 'a=1'],
    [{ 'content-type': 'application/json; charset=latin1' }, '{"a":1}'],
    [{}, new Uint8Array(Buffer.from('{"a":1}'))],
  ])('when the body is sent as %j, then 415 E_UNSUPPORTED_MEDIA_TYPE', async (headers, body) => {
    const server = await start();
    const res = await fetch(`${server.url}/echo`, { method: 'POST', headers, body });
    expect(await readProblem(res)).toMatchObject({ status: 415, code: 'E_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('when the body is gzip-compressed, then 415', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync('{"a":1}'),
    });
    expect(await readProblem(res)).toMatchObject({ status: 415, code: 'E_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('when a request has no body (GET, DELETE, empty POST), then it passes whatever its content type', async () => {
    const server = await start();
    expect((await fetch(`${server.url}/items`)).status).toBe(200);
    const uuid = '0190f5c4-7a3e-7b8e-9c4d-2f1a3b5c7d9e';
    expect((await fetch(`${server.url}/items/${uuid}`, { method: 'DELETE' })).status).toBe(200);
    const empty = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    expect(await empty.json()).toEqual({ body: null });
  });
});

describe('parseWith', () => {
  it('when a body has an unknown field, then 400 E_VALIDATION names it', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/users`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name: 'Ada', isAdmin: true }),
    });
    const body = await readProblem(res);
    expect(body).toMatchObject({ status: 400, code: 'E_VALIDATION', errors: { isAdmin: ['Unknown field'] } });
  });

  it('when fields are invalid, then every field is listed with its messages', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/users`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ name: '   ', bio: 'b'.repeat(1001) }),
    });
    const body = await readProblem(res);
    expect(Object.keys(body.errors as object).sort()).toEqual(['bio', 'name']);
  });

  it('when a whole-object rule fails, then it is reported under _root', async () => {
    const server = await start();
    const res = await fetch(`${server.url}/users`, { method: 'PATCH', headers: json, body: '{}' });
    expect((await readProblem(res)).errors).toEqual({ _root: ['At least one field is required'] });
  });

  it('when the body is missing or an array, then 400 E_VALIDATION rather than a crash', async () => {
    const server = await start();
    for (const body of [undefined, '[1]']) {
      const res = await fetch(`${server.url}/users`, { method: 'PATCH', headers: json, body });
      expect(await readProblem(res)).toMatchObject({ status: 400, code: 'E_VALIDATION' });
    }
  });

  it('when query or params are invalid, then 400 E_VALIDATION; when valid, then typed values', async () => {
    const server = await start();
    const bad = await fetch(`${server.url}/items?limit=500`);
    expect(await readProblem(bad)).toMatchObject({
      code: 'E_VALIDATION',
      errors: { limit: expect.any(Array) },
    });
    const unknown = await fetch(`${server.url}/items?limit=5&sort=name`);
    expect((await readProblem(unknown)).errors).toEqual({ sort: ['Unknown field'] });
    const ok = await fetch(`${server.url}/items?limit=5`);
    expect(await ok.json()).toEqual({ query: { limit: 5 }, body: null });
    const badId = await fetch(`${server.url}/items/not-a-uuid`, { method: 'DELETE' });
    expect(await readProblem(badId)).toMatchObject({
      code: 'E_VALIDATION',
      errors: { id: expect.any(Array) },
    });
  });

  it('when a schema opts into unknown keys with loose(), then they are kept', () => {
    expect(parseWith(z.looseObject({ a: z.number() }), { a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
  });

  it('when a nested strict object has an unknown key, then its full path is reported', () => {
    try {
      parseWith(z.object({ profile: z.strictObject({ name: z.string() }) }), {
        profile: { name: 'x', role: 1 },
      });
      expect.unreachable();
    } catch (err) {
      expect((err as { extensions: unknown }).extensions).toEqual({
        errors: { 'profile.role': ['Unknown field'] },
      });
    }
  });
});
