import { randomUUID } from 'node:crypto';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, type FixtureProcess, spawnFixture } from './support/fixture-process';

let receiver: OtlpReceiver;
let fixture: FixtureProcess | undefined;

beforeAll(async () => {
  buildPackage();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
  receiver.clear();
});

async function startFixture(env: Record<string, string>) {
  fixture = spawnFixture('traced-app.js', env);
  const listening = await fixture.waitForLine((l) => l.msg === 'listening');
  return { fixture, base: `http://127.0.0.1:${listening.port as number}` };
}

const inTrace = (spans: readonly ReceivedSpan[], traceId: string) =>
  spans.filter((s) => s.traceId === traceId);

describe('preload', () => {
  it('when an http/json endpoint is configured, then http, express, ioredis and pg spans of one request reach it under the service name, flushed at shutdown, and its log lines carry the trace and request ids', async () => {
    const service = `redwire-fixture-${randomUUID().slice(0, 8)}`;
    const { redisUrl, postgresAdminUrl } = sharedServers();
    const { fixture, base } = await startFixture({
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      FIXTURE_REDIS_URL: redisUrl,
      FIXTURE_POSTGRES_URL: postgresAdminUrl,
    });

    const res = await fetch(`${base}/users/42`, { headers: { 'x-request-id': 'req-e2e-1' } });
    expect(res.status).toBe(200);
    const { traceId } = (await res.json()) as { traceId: string };
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);

    // The default batch delay (5 s) has not elapsed: the spans arrive because shutdownTelemetry() flushes.
    expect(await fixture.stop()).toBe(0);
    const spans = await receiver.waitFor((all) => inTrace(all, traceId).length >= 4, 5000);
    const trace = inTrace(spans, traceId);
    expect(new Set(trace.map((s) => s.serviceName))).toEqual(new Set([service]));

    const server = trace.find((s) => s.kind === 'server');
    expect(server).toMatchObject({
      scope: '@opentelemetry/instrumentation-http',
      name: 'GET /users/:id',
      parentSpanId: '',
    });
    expect(server?.attributes['http.route']).toBe('/users/:id');
    expect(server?.attributes['redwire.request.id']).toBe('req-e2e-1');

    const handler = trace.find((s) => s.scope === '@opentelemetry/instrumentation-express');
    expect(handler).toMatchObject({ name: 'request handler', parentSpanId: server?.spanId });
    expect(handler?.attributes).toMatchObject({
      'express.type': 'request_handler',
      'http.route': '/users/:id',
    });

    const redis = trace.find((s) => s.scope === '@opentelemetry/instrumentation-ioredis');
    expect(redis).toMatchObject({ kind: 'client', parentSpanId: handler?.spanId });
    expect(redis?.attributes['db.system.name']).toBe('redis');
    expect(redis?.attributes['db.query.text']).toBe('GET fixture:user:42');

    const pg = trace.find((s) => s.attributes['db.query.text'] === 'SELECT 1 AS one');
    expect(pg).toMatchObject({ scope: '@opentelemetry/instrumentation-pg', kind: 'client' });
    expect(pg?.attributes['db.system.name']).toBe('postgresql');

    const inside = fixture.lines.find((l) => l.msg === 'inside request');
    expect(inside).toMatchObject({ trace_id: traceId, span_id: handler?.spanId, request_id: 'req-e2e-1' });
    const access = fixture.lines.find((l) => l.msg === 'request completed');
    expect(access).toMatchObject({ trace_id: traceId, request_id: 'req-e2e-1', route: '/users/:id' });
    expect(access?.res).toEqual({ statusCode: 200 });
    expect(fixture.lines.find((l) => l.msg === 'stopped')).toMatchObject({ flushed: true });
    expect(fixture.stderr()).toBe('');
  });

  it('when no protocol is set, then spans go to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as http/protobuf', async () => {
    const { fixture, base } = await startFixture({
      OTEL_SERVICE_NAME: 'redwire-fixture-proto',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl,
    });
    expect((await fetch(`${base}/users/1`)).status).toBe(200);
    expect(await fixture.stop()).toBe(0);

    expect(receiver.exports.length).toBeGreaterThan(0);
    expect(receiver.exports.every((e) => e.contentType === 'application/x-protobuf')).toBe(true);
    expect(fixture.stderr()).toBe('');
  });

  it('when no endpoint is configured, then it serves with trace ids in logs, exports nothing and exits cleanly without errors', async () => {
    const { fixture, base } = await startFixture({ OTEL_SERVICE_NAME: 'redwire-fixture-quiet' });
    expect((await fetch(`${base}/users/1`, { headers: { 'x-request-id': 'req-quiet' } })).status).toBe(200);
    expect(await fixture.stop()).toBe(0);

    expect(fixture.lines.find((l) => l.msg === 'inside request')).toMatchObject({
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      request_id: 'req-quiet',
    });
    expect(fixture.lines.find((l) => l.msg === 'stopped')).toMatchObject({ flushed: true });
    expect(fixture.stderr()).toBe('');
  });

  it('when OTEL_SDK_DISABLED=true, then nothing is exported, lines carry no trace id and shutdown still succeeds', async () => {
    const { fixture, base } = await startFixture({
      OTEL_SDK_DISABLED: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    expect((await fetch(`${base}/users/1`, { headers: { 'x-request-id': 'req-off' } })).status).toBe(200);
    expect(await fixture.stop()).toBe(0);

    const inside = fixture.lines.find((l) => l.msg === 'inside request');
    expect(inside).toMatchObject({ request_id: 'req-off' });
    expect(inside).not.toHaveProperty('trace_id');
    expect(receiver.exports).toEqual([]);
    expect(fixture.lines.find((l) => l.msg === 'stopped')).toMatchObject({ flushed: true });
  });
});
