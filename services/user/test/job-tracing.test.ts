import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { bullmqTelemetry, SpanKind } from '@redwire/observability';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/user-stack';

// The worker's BullMQ telemetry against real BullMQ and Redis, with an in-memory SDK registered the way
// the preload registers the real one (each vitest file runs in its own process).

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
const tracer = provider.getTracer('test');

const QUEUE = 'traced';
const connections: Redis[] = [];
const closing: (() => Promise<void>)[] = [];

function connection(): Redis {
  const client = new Redis(sharedServers().redisUrl, { maxRetriesPerRequest: null });
  connections.push(client);
  return client;
}

beforeAll(() => exporter.reset());
afterAll(async () => {
  for (const close of closing.reverse()) await close();
  for (const client of connections) client.disconnect();
  await provider.shutdown();
});

const spanId = (span: ReadableSpan | undefined) => span?.spanContext().spanId;

describe('bullmqTelemetry', () => {
  it('when a job is added inside a span and its first attempt fails, then the add and every attempt are in that trace: add under the span, each process under add, the processor and its failure log inside process', async () => {
    const prefix = uniquePrefix('u');
    const telemetry = bullmqTelemetry('redwire-user-worker');
    const queue = new Queue(QUEUE, { connection: connection(), prefix, telemetry });
    const inside: string[] = [];
    const failedIn: (string | undefined)[] = [];
    const worker = new Worker(
      QUEUE,
      async () => {
        const span = tracer.startSpan('inside the processor');
        inside.push(span.spanContext().traceId);
        span.end();
        if (inside.length === 1) throw new Error('first attempt fails');
      },
      { connection: connection(), prefix, telemetry },
    );
    worker.on('failed', () => failedIn.push(trace.getActiveSpan()?.spanContext().traceId));
    closing.push(
      () => queue.close(),
      () => worker.close(),
    );

    const consumer = tracer.startSpan('process user-events', { kind: SpanKind.CONSUMER });
    await context.with(trace.setSpan(context.active(), consumer), () =>
      queue.add('job', { n: 1 }, { attempts: 2, backoff: { type: 'fixed', delay: 20 } }),
    );
    consumer.end();
    const traceId = consumer.spanContext().traceId;

    const finished = () => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    await waitFor(
      () => finished().filter((s) => s.name === `process ${QUEUE}`).length === 2,
      10_000,
      'two attempts traced',
    );
    const add = finished().find((s) => s.name === `add ${QUEUE}.job`);
    expect(add?.kind).toBe(SpanKind.PRODUCER);
    expect(add?.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
    const attempts = finished().filter((s) => s.name === `process ${QUEUE}`);
    for (const attempt of attempts) {
      expect(attempt.kind).toBe(SpanKind.CONSUMER);
      expect(attempt.parentSpanContext?.spanId).toBe(spanId(add));
      expect(attempt.instrumentationScope.name).toBe('redwire-user-worker');
    }
    const processorSpans = finished().filter((s) => s.name === 'inside the processor');
    expect(processorSpans.map((s) => s.parentSpanContext?.spanId).sort()).toEqual(
      attempts.map(spanId).sort(),
    );
    expect(inside).toEqual([traceId, traceId]);
    // What the worker logs on a failed attempt carries the job's trace id.
    expect(failedIn).toEqual([traceId]);
  });

  it('when a job’s metadata is not trace context, then its attempts start a trace of their own instead of failing', () => {
    const { contextManager } = bullmqTelemetry('redwire-user-worker');
    const active = trace.setSpan(context.active(), tracer.startSpan('worker loop'));
    for (const metadata of ['not json', 'null', '{"traceparent":"garbage"}']) {
      const parent = contextManager.fromMetadata(active, metadata);
      expect(trace.getSpan(parent), metadata).toBeUndefined();
    }
  });
});
