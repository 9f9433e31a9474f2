import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningReceiver, startOtlpReceiver } from '../boot-test/otlp-receiver/otlp-receiver.ts';
import type { JaegerSpan, JaegerTrace } from '../boot-test/otlp-receiver/span-store.ts';

// The Jaeger stand-in of the compose boot test, fed by the OpenTelemetry exporters the services use: what
// it answers on Jaeger's query API must be what the SDK sent, or the boot test's trace checks mean nothing.

let receiver: RunningReceiver;
let query: string;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ host: '127.0.0.1', grpcPort: 0, httpPort: 0, queryPort: 0 });
  query = `http://127.0.0.1:${receiver.queryPort}`;
});

afterAll(async () => {
  await receiver?.close();
});

/** Records a server span with a client child (a link, an event, an error status) and exports both. */
async function exportPair(service: string, exporter: SpanExporter, requestId: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('boot-test-scope', '1.2.3');
  const linked = tracer.startSpan('linked');
  linked.end();
  const parent = tracer.startSpan('GET /things/:id', {
    kind: SpanKind.SERVER,
    attributes: { 'redwire.request.id': requestId, 'http.response.status_code': 200, ratio: 0.5, ok: true },
  });
  const child = tracer.startSpan(
    'evalsha',
    { kind: SpanKind.CLIENT, links: [{ context: linked.spanContext() }], attributes: { keys: ['a', 'b'] } },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('retry', { attempt: 2 });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'NOPERM' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return parent.spanContext().traceId;
}

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${query}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

const tagValue = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key);

describe('OTLP receiver (the Jaeger stand-in)', () => {
  it('when the SDK exports over HTTP/protobuf, then Jaeger’s query API returns the trace as sent', async () => {
    const traceId = await exportPair(
      'svc-proto',
      new ProtobufExporter({ url: `http://127.0.0.1:${receiver.httpPort}/v1/traces` }),
      'req-proto',
    );

    const services = await getJson<{ data: string[] }>('/api/services');
    expect(services.body.data).toContain('svc-proto');
    const operations = await getJson<{ data: string[] }>('/api/services/svc-proto/operations');
    expect(operations.body.data).toEqual(['GET /things/:id', 'evalsha', 'linked']);

    const tags = encodeURIComponent(JSON.stringify({ 'redwire.request.id': 'req-proto' }));
    const found = await getJson<{ data: JaegerTrace[] }>(`/api/traces?service=svc-proto&tags=${tags}`);
    expect(found.body.data.map((t) => t.traceID)).toEqual([traceId]);
    const [found0] = found.body.data;
    const server = found0?.spans.find((s) => s.operationName === 'GET /things/:id');
    const client = found0?.spans.find((s) => s.operationName === 'evalsha');
    expect(server?.references).toEqual([]);
    expect(tagValue(server as JaegerSpan, 'span.kind')?.value).toBe('server');
    expect(tagValue(server as JaegerSpan, 'http.response.status_code')).toEqual({
      key: 'http.response.status_code',
      type: 'int64',
      value: 200,
    });
    expect(tagValue(server as JaegerSpan, 'ratio')?.type).toBe('float64');
    expect(tagValue(server as JaegerSpan, 'ok')).toEqual({ key: 'ok', type: 'bool', value: true });
    expect(tagValue(server as JaegerSpan, 'otel.scope.name')?.value).toBe('boot-test-scope');
    expect(client?.references[0]).toEqual({ refType: 'CHILD_OF', traceID: traceId, spanID: server?.spanID });
    expect(client?.references[1]?.refType).toBe('FOLLOWS_FROM');
    expect(tagValue(client as JaegerSpan, 'keys')?.value).toBe('["a","b"]');
    expect(tagValue(client as JaegerSpan, 'error')?.value).toBe(true);
    expect(tagValue(client as JaegerSpan, 'otel.status_description')?.value).toBe('NOPERM');
    expect(client?.logs[0]?.fields).toContainEqual({ key: 'event', type: 'string', value: 'retry' });
    expect(server?.startTime).toBeGreaterThan(Date.UTC(2024, 0) * 1000);
    expect(found0?.processes[server?.processID ?? '']).toEqual({
      serviceName: 'svc-proto',
      tags: expect.arrayContaining([{ key: 'deployment.environment.name', type: 'string', value: 'test' }]),
    });
  });

  it('when the SDK exports over gRPC, then the same trace is found by its id', async () => {
    const traceId = await exportPair(
      'svc-grpc',
      new GrpcExporter({ url: `http://127.0.0.1:${receiver.grpcPort}` }),
      'req-grpc',
    );
    const byId = await getJson<{ data: JaegerTrace[] }>(`/api/traces/${traceId}`);
    expect(byId.status).toBe(200);
    expect(byId.body.data[0]?.spans.map((s) => s.operationName).sort()).toEqual([
      'GET /things/:id',
      'evalsha',
    ]);
  });

  it('when an export is OTLP/JSON, then it is decoded too (hex ids, string integers)', async () => {
    const traceId = '5b8efff798038103d269b633813fc60c';
    const response = await fetch(`http://127.0.0.1:${receiver.httpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc-json' } }] },
            scopeSpans: [
              {
                scope: { name: 'json' },
                spans: [
                  {
                    traceId,
                    spanId: 'eee19b7ec3c1b174',
                    name: 'op',
                    kind: 4,
                    startTimeUnixNano: '1767225600000000000',
                    endTimeUnixNano: '1767225600002500000',
                    attributes: [{ key: 'n', value: { intValue: '7' } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const span = (await getJson<{ data: JaegerTrace[] }>(`/api/traces/${traceId}`)).body.data[0]?.spans[0];
    expect(span).toMatchObject({ operationName: 'op', startTime: 1767225600000000, duration: 2500 });
    expect(tagValue(span as JaegerSpan, 'span.kind')?.value).toBe('producer');
    expect(tagValue(span as JaegerSpan, 'n')).toEqual({ key: 'n', type: 'int64', value: 7 });
  });

  it('when a request is not a trace export, then it is refused with the status a collector gives', async () => {
    const post = (path: string, type: string, body: string | Uint8Array) =>
      fetch(`http://127.0.0.1:${receiver.httpPort}${path}`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }).then((r) => r.status);
    expect(await post('/v1/metrics', 'application/x-protobuf', new Uint8Array())).toBe(404);
    expect(await post('/v1/traces', 'text/plain', 'hello')).toBe(415);
    expect(await post('/v1/traces', 'application/x-protobuf', new Uint8Array([0x0a, 0xff]))).toBe(400);
    expect(await post('/v1/traces', 'application/json', '{')).toBe(400);
    expect((await getJson('/api/traces')).status).toBe(400);
    expect((await getJson('/api/traces/00000000000000000000000000000001')).status).toBe(404);
  });
});
