import type { AddressInfo } from 'node:net';
import { context, trace } from '@opentelemetry/api';
import { createLogger, httpLogger, REDACTED, requestContext, runWithRequestId } from '@redwire/observability';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { captureLines } from './support/capture-stream';
import { useInMemoryTracing } from './support/in-memory-tracing';

const { tracer } = useInMemoryTracing();

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stands in for http-kit's requestId(): echoes the client's id or makes one. */
const requestIdMiddleware: express.RequestHandler = (req, res, next) => {
  res.setHeader('x-request-id', req.headers['x-request-id'] ?? 'generated-id');
  next();
};

describe('createLogger', () => {
  it('when a line is written inside an active span, then it carries that span’s trace_id, span_id and trace_flags', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const span = tracer.startSpan('work');
    context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
    span.end();
    logger.info('outside');

    const { traceId, spanId } = span.spanContext();
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      service: 'svc',
      level: 'info',
      trace_id: traceId,
      span_id: spanId,
    });
    expect(lines[0]?.trace_flags).toBe('01');
    expect(lines[1]).not.toHaveProperty('trace_id');
    expect(lines[1]).not.toHaveProperty('request_id');
  });

  it('when passwords, tokens and credential headers are logged, then each is replaced and never written', () => {
    const { stream, lines, raw } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    logger.info(
      {
        password: 'pw-top-secret',
        token: 'tok-top-secret',
        body: { email: 'a@b.c', newPassword: 'pw-new-secret', currentPassword: 'pw-cur-secret' },
        req: {
          headers: {
            authorization: 'Bearer tok-bearer-secret',
            cookie: '__Host-sid=tok-cookie-secret',
            'x-redwire-identity': 'jws-identity-secret',
            'user-agent': 'k6',
          },
        },
        res: { headers: { 'set-cookie': '__Host-sid=tok-setcookie-secret' } },
        session: { user: { token: 'tok-deep-secret' } },
      },
      'login',
    );
    expect(raw[0]).not.toMatch(/secret/);
    expect(lines[0]).toMatchObject({
      password: REDACTED,
      token: REDACTED,
      body: { email: 'a@b.c', newPassword: REDACTED, currentPassword: REDACTED },
      req: {
        headers: {
          authorization: REDACTED,
          cookie: REDACTED,
          'x-redwire-identity': REDACTED,
          'user-agent': 'k6',
        },
      },
      res: { headers: { 'set-cookie': REDACTED } },
      session: { user: { token: REDACTED } },
    });
  });

  it('when the service or level is invalid, then it throws', () => {
    expect(() => createLogger({ service: ' ' })).toThrow(/service/);
    // @ts-expect-error: an unknown level from unvalidated config
    expect(() => createLogger({ service: 'svc', level: 'loud' })).toThrow(/level/);
  });

  it('when work runs under runWithRequestId, then its lines carry that request id', () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    runWithRequestId('job-req-1', () => logger.info('job'));
    expect(lines[0]).toMatchObject({ request_id: 'job-req-1' });
  });
});

describe('requestContext', () => {
  it('when mounted before the request-id middleware, then lines of the request still carry the response’s X-Request-Id', async () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const app = express();
    app.use(requestContext());
    app.use(requestIdMiddleware);
    app.get('/x', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 5));
      logger.info('after await');
      res.end();
    });
    const base = await serve(app);
    await fetch(`${base}/x`, { headers: { 'x-request-id': 'client-id-7' } });
    await fetch(`${base}/x`);
    expect(lines.map((l) => l.request_id)).toEqual(['client-id-7', 'generated-id']);
  });

  it('when no request-id middleware ran, then a sane client id is used and an unsafe one is not', async () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const app = express();
    app.use(requestContext());
    app.get('/x', (_req, res) => {
      logger.info('line');
      res.end();
    });
    const base = await serve(app);
    await fetch(`${base}/x`, { headers: { 'x-request-id': 'sane-1' } });
    await fetch(`${base}/x`, { headers: { 'x-request-id': `${'a'.repeat(129)}` } });
    expect(lines[0]).toMatchObject({ request_id: 'sane-1' });
    expect(lines[1]).not.toHaveProperty('request_id');
  });

  it('when concurrent requests interleave, then every line carries its own request’s id', async () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const app = express();
    app.use(requestIdMiddleware);
    app.use(requestContext());
    app.get('/x/:n', async (req, res) => {
      logger.info({ n: req.params.n }, 'start');
      await new Promise((r) => setTimeout(r, 20 - Number(req.params.n)));
      logger.info({ n: req.params.n }, 'end');
      res.end();
    });
    const base = await serve(app);
    await Promise.all(
      Array.from({ length: 10 }, (_, n) => fetch(`${base}/x/${n}`, { headers: { 'x-request-id': `r${n}` } })),
    );
    expect(lines).toHaveLength(20);
    for (const line of lines) expect(line.request_id).toBe(`r${line.n}`);
  });
});

describe('httpLogger', () => {
  it('when a request completes, then one access line has method, route pattern, status, duration and the request id, but no headers', async () => {
    const { stream, lines, raw } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const app = express();
    app.use(requestIdMiddleware);
    app.use(httpLogger({ logger }));
    app.get('/users/:id', (req, res) => {
      req.log.info('handler');
      res.json({ ok: true });
    });
    app.get('/healthz', (_req, res) => res.end());
    const base = await serve(app);
    await fetch(`${base}/users/123?x=1`, {
      headers: { 'x-request-id': 'acc-1', authorization: 'Bearer s3cr3t' },
    });
    await fetch(`${base}/healthz`);
    await new Promise((r) => setTimeout(r, 20));

    expect(lines.map((l) => l.msg)).toEqual(['handler', 'request completed']);
    expect(lines[0]).toMatchObject({ request_id: 'acc-1' });
    expect(lines[1]).toMatchObject({
      level: 'info',
      request_id: 'acc-1',
      route: '/users/:id',
      req: { method: 'GET', url: '/users/123?x=1' },
      res: { statusCode: 200 },
      duration_ms: expect.any(Number),
    });
    expect(raw.join('\n')).not.toMatch(/s3cr3t/);
  });

  it('when a handler fails and the error middleware sets res.err, then the access line is at error level with the error', async () => {
    const { stream, lines } = captureLines();
    const logger = createLogger({ service: 'svc', destination: stream });
    const app = express();
    app.use(httpLogger({ logger }));
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.use(((err, _req, res, _next) => {
      res.err = err;
      res.status(500).end();
    }) as express.ErrorRequestHandler);
    app.use((_req, res) => res.status(404).end());
    const base = await serve(app);
    await fetch(`${base}/boom`);
    await fetch(`${base}/nope`);
    await new Promise((r) => setTimeout(r, 20));

    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'request errored',
      route: '/boom',
      err: { message: 'kaput' },
    });
    expect(lines[1]).toMatchObject({ level: 'info', route: 'unmatched', res: { statusCode: 404 } });
  });
});
