import {
  AppError,
  ERROR_CODES,
  type ErrorCode,
  errorHandler,
  errors,
  isAppError,
  notFoundHandler,
  QUOTA_EXCEEDED_TYPE,
  requestId,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
} from '@redwire/http-kit';
import express, { type Response as ExpressResponse } from 'express';
import { describe, expect, it } from 'vitest';
import { readProblem, recordingLogger, serve } from './helpers';

const CONTRACT_CODES: Record<ErrorCode, number> = {
  E_VALIDATION: 400,
  E_MALFORMED_JSON: 400,
  E_MALFORMED_REQUEST: 400,
  E_UNAUTHENTICATED: 401,
  E_INVALID_CREDENTIALS: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_NOT_FOUND: 404,
  E_USER_NOT_FOUND: 404,
  E_EMAIL_TAKEN: 409,
  E_REQUEST_TIMEOUT: 408,
  E_VERSION_CONFLICT: 412,
  E_PAYLOAD_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_EXPECTATION_FAILED: 417,
  E_HEADERS_TOO_LARGE: 431,
  E_RATE_LIMITED: 429,
  E_UPSTREAM: 502,
  E_UPSTREAM_TIMEOUT: 504,
  E_UNAVAILABLE: 503,
  E_INTERNAL: 500,
};

function build(code: ErrorCode): AppError {
  switch (code) {
    case 'E_VALIDATION':
      return errors.E_VALIDATION({ name: ['Too small'] });
    case 'E_RATE_LIMITED':
      return errors.E_RATE_LIMITED({ violatedPolicies: ['per-ip'], retryAfterSeconds: 2.2 });
    case 'E_UNAVAILABLE':
      return errors.E_UNAVAILABLE();
    case 'E_INTERNAL':
      return errors.E_INTERNAL(new Error('boom'));
    default:
      return errors[code]();
  }
}

async function appWith(logger = recordingLogger()) {
  const app = express();
  const seen: { err?: unknown } = {};
  app.use(requestId());
  app.use((_req, res, next) => {
    res.on('finish', () => {
      seen.err = (res as ExpressResponse & { err?: unknown }).err;
    });
    next();
  });
  app.get('/codes/:code', (req) => {
    throw build(req.params.code as ErrorCode);
  });
  app.get('/sql', async () => {
    throw Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      code: '23505',
      detail: 'Key (email)=(a@example.com) already exists.',
    });
  });
  app.get('/redis', () => {
    throw new Error('READONLY You cannot write against a read only replica.');
  });
  app.get('/reduced', () => {
    throw errors.E_UNAVAILABLE('Rate limiter unavailable.', {
      reducedCapacity: true,
      violatedPolicies: ['global'],
      retryAfterSeconds: 1,
    });
  });
  app.get('/upstream-404', () => {
    // An upstream client error that happens to carry a status must not become our 404.
    throw Object.assign(new Error('upstream said 404'), { status: 404 });
  });
  app.get('/bad-param/:id', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/partial', (_req, res, next) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"items":[');
    setTimeout(() => next(new Error('stream broke')), 20);
  });
  app.get('/etag', (_req, res) => {
    res.setHeader('ETag', '"3"');
    throw errors.E_USER_NOT_FOUND();
  });
  app.use(notFoundHandler());
  app.use(errorHandler({ logger }));
  return { server: await serve(app), logger, seen };
}

describe('error middleware', () => {
  it('when the catalogue is listed, then it has exactly the codes of docs/api.md with their statuses', () => {
    expect([...ERROR_CODES].sort()).toEqual(Object.keys(CONTRACT_CODES).sort());
    for (const code of ERROR_CODES) {
      const err = build(code);
      expect(err).toBeInstanceOf(AppError);
      expect(isAppError(err, code)).toBe(true);
      expect(err.status).toBe(CONTRACT_CODES[code]);
    }
  });

  it.each(Object.entries(CONTRACT_CODES))(
    'when a route throws %s, then the problem has status %d',
    async (code, status) => {
      const { server, seen } = await appWith();
      const res = await fetch(`${server.url}/codes/${code}`);
      expect(res.status).toBe(status);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await readProblem(res);
      expect(body.code).toBe(code);
      expect(body.title.length).toBeGreaterThan(0);
      expect(body.detail.length).toBeGreaterThan(0);
      expect(isAppError(seen.err, code)).toBe(true);
      if (code === 'E_RATE_LIMITED') {
        expect(body.type).toBe(QUOTA_EXCEEDED_TYPE);
        expect(body['violated-policies']).toEqual(['per-ip']);
        expect(res.headers.get('retry-after')).toBe('3');
      } else {
        expect(body.type).toBe('about:blank');
      }
      if (code === 'E_VALIDATION') expect(body.errors).toEqual({ name: ['Too small'] });
      if (code === 'E_INTERNAL') expect(body.detail).toBe('An unexpected error occurred.');
    },
  );

  it('when a client sent X-Request-Id, then instance is that id', async () => {
    const { server } = await appWith();
    const res = await fetch(`${server.url}/codes/E_FORBIDDEN`, { headers: { 'x-request-id': 'req-42' } });
    expect((await readProblem(res)).instance).toBe('req-42');
  });

  it('when an unknown error carries SQL or Redis text, then the client gets a generic 500 and the log gets the cause', async () => {
    const { server, logger } = await appWith();
    for (const path of ['/sql', '/redis']) {
      const res = await fetch(server.url + path);
      const text = await res.clone().text();
      const body = await readProblem(res);
      expect(body).toMatchObject({
        status: 500,
        code: 'E_INTERNAL',
        detail: 'An unexpected error occurred.',
      });
      for (const leak of ['duplicate key', 'users_email_key', 'a@example.com', 'READONLY', 'stack', 'at ']) {
        expect(text).not.toContain(leak);
      }
    }
    const logged = logger.entries.filter((e) => e.level === 'error');
    expect(logged).toHaveLength(2);
    const first = logged[0]?.obj.err as AppError;
    expect(first.code).toBe('E_INTERNAL');
    expect((first.cause as Error).message).toContain('duplicate key');
    expect(typeof logged[0]?.obj.reqId).toBe('string');
  });

  it('when 4xx errors happen, then nothing is logged at error level', async () => {
    const { server, logger } = await appWith();
    await fetch(`${server.url}/codes/E_VALIDATION`);
    await fetch(`${server.url}/nope`);
    expect(logger.entries).toEqual([]);
  });

  it('when the limiter refuses at reduced capacity, then the 503 has the IANA type and violated-policies', async () => {
    const { server } = await appWith();
    const res = await fetch(`${server.url}/reduced`);
    const body = await readProblem(res);
    expect(body).toMatchObject({
      status: 503,
      code: 'E_UNAVAILABLE',
      type: TEMPORARY_REDUCED_CAPACITY_TYPE,
      'violated-policies': ['global'],
    });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('when no route matches, then 404 E_NOT_FOUND', async () => {
    const { server } = await appWith();
    const res = await fetch(`${server.url}/does/not/exist`, { method: 'POST' });
    expect((await readProblem(res)).code).toBe('E_NOT_FOUND');
  });

  it('when an error object merely carries a 4xx status, then it is still a 500', async () => {
    const { server } = await appWith();
    const body = await readProblem(await fetch(`${server.url}/upstream-404`));
    expect(body.code).toBe('E_INTERNAL');
  });

  it('when a route parameter is badly percent-encoded, then 400 E_VALIDATION', async () => {
    const { server } = await appWith();
    const body = await readProblem(await fetch(`${server.url}/bad-param/%E0%A4%A`));
    expect(body).toMatchObject({ status: 400, code: 'E_VALIDATION' });
  });

  it('when a handler set ETag before failing, then the problem does not carry it', async () => {
    const { server } = await appWith();
    const res = await fetch(`${server.url}/etag`);
    expect(res.status).toBe(404);
    expect(res.headers.get('etag')).toBeNull();
  });

  it('when the response already started, then the connection is cut rather than appending an error', async () => {
    const { server, logger } = await appWith();
    const res = await fetch(`${server.url}/partial`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1);
  });

  it('when a problem carries extensions named like core members, then the core members win', () => {
    const err = new AppError({ code: 'E_X', status: 400, extensions: { code: 'spoof', errors: {} } });
    expect(err.title).toBe('Bad Request');
    expect(err.detail).toBe('Bad Request');
    expect(() => new AppError({ code: 'E_X', status: 200 })).toThrow(RangeError);
  });
});
