import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  SpanAttributes,
  StreamConsumer,
  type StreamMessage,
  StreamPublisher,
  TRACER_NAME,
} from '../src/index';
import { eventually, useRedis } from './support/topologies';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  // Forked workers may be reused between files: start from a clean global API.
  trace.disable();
  context.disable();
  propagation.disable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncHooksContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

function spanNamed(name: string): ReadableSpan {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name} in ${exporter.getFinishedSpans().map((s) => s.name)}`);
  return span;
}

describe('trace context across a stream', () => {
  const redis = useRedis('single');
  const consumers: StreamConsumer[] = [];
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    exporter.reset();
  });

  async function setup(
    name: string,
    handler: (m: StreamMessage) => Promise<void> | void,
    continueTrace = true,
  ) {
    const client = await redis.client();
    const stream = redis.keys.stream(name);
    const publisher = new StreamPublisher({ client, stream });
    const connection = await redis.client({ kind: 'blocking', purpose: 'traced' });
    const consumer = new StreamConsumer({
      connection,
      stream,
      group: 'g',
      handler,
      continueTrace,
      blockMs: 100,
      maxDeliveries: 1,
    });
    consumers.push(consumer);
    await consumer.start();
    return { stream, publisher };
  }

  it('when a request publishes, then the consumer span links to the producer span and is active in the handler', async () => {
    const inHandler: { active?: string; child?: ReadableSpan | undefined } = {};
    const tracer = trace.getTracer('test');
    const { stream, publisher } = await setup('traced', async () => {
      inHandler.active = trace.getActiveSpan()?.spanContext().spanId;
      // Work done by the handler (its Redis calls, under ioredis instrumentation) nests under the consumer span.
      tracer.startActiveSpan('handler work', (span) => span.end());
    });

    const requestSpan = tracer.startSpan('PATCH /users/:id', { kind: SpanKind.SERVER });
    const id = await context.with(trace.setSpan(context.active(), requestSpan), () =>
      publisher.publish({ type: 'user.updated', userId: '7' }),
    );
    requestSpan.end();

    const producer = await (async () => {
      await eventually(() => exporter.getFinishedSpans().some((s) => s.name === `process ${stream}`));
      return spanNamed(`send ${stream}`);
    })();
    const consumer = spanNamed(`process ${stream}`);
    const work = spanNamed('handler work');

    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.instrumentationScope.name).toBe(TRACER_NAME);
    expect(producer.parentSpanContext?.spanId).toBe(requestSpan.spanContext().spanId);
    expect(producer.attributes).toMatchObject({
      [SpanAttributes.messagingSystem]: 'redis',
      [SpanAttributes.destination]: stream,
      [SpanAttributes.messageId]: id,
    });

    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.links[0]?.context.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.links[0]?.context.traceId).toBe(requestSpan.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(consumer.spanContext().traceId).toBe(requestSpan.spanContext().traceId);
    expect(consumer.attributes).toMatchObject({
      [SpanAttributes.messageId]: id,
      [SpanAttributes.consumerGroup]: 'g',
      [SpanAttributes.deliveryCount]: 1,
      [SpanAttributes.outcome]: 'acked',
    });

    expect(inHandler.active).toBe(consumer.spanContext().spanId);
    expect(work.parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
  });

  it('when continueTrace is off, then the consumer starts a new trace with only the link', async () => {
    const { stream, publisher } = await setup('traced-link-only', () => {}, false);
    await publisher.publish({ n: 1 });
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === `process ${stream}`));
    const producer = spanNamed(`send ${stream}`);
    const consumer = spanNamed(`process ${stream}`);
    expect(consumer.spanContext().traceId).not.toBe(producer.spanContext().traceId);
    expect(consumer.parentSpanContext).toBeUndefined();
    expect(consumer.links[0]?.context.spanId).toBe(producer.spanContext().spanId);
  });

  it('when publishing with a stored traceparent (an outbox row), then the producer span continues that trace', async () => {
    const { stream, publisher } = await setup('traced-outbox', () => {});
    const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await publisher.publish({ n: 1 }, { traceparent: stored });
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === `process ${stream}`));
    const producer = spanNamed(`send ${stream}`);
    expect(producer.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(producer.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(spanNamed(`process ${stream}`).spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('when the handler throws, then the consumer span records the error', async () => {
    const { stream, publisher } = await setup('traced-error', () => {
      throw new Error('handler broke');
    });
    await publisher.publish({ n: 1 });
    await eventually(() => exporter.getFinishedSpans().some((s) => s.name === `process ${stream}`));
    const consumer = spanNamed(`process ${stream}`);
    expect(consumer.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'handler broke' });
    expect(consumer.events.some((e) => e.name === 'exception')).toBe(true);
    expect(consumer.attributes[SpanAttributes.outcome]).toBe('dead_lettered');
  });
});
