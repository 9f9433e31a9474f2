import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  ATTR,
  context,
  extractContext,
  injectTraceparent,
  linksFromCarriers,
  MESSAGING_SYSTEM_REDIS,
  messagingSpanName,
  SPAN,
  SpanKind,
  SpanStatusCode,
  trace,
  withRootSpan,
} from '@redwire/observability';
import { beforeEach, describe, expect, it } from 'vitest';
import { useInMemoryTracing } from './support/in-memory-tracing';

const { exporter, tracer } = useInMemoryTracing();
beforeEach(() => exporter.reset());

const finished = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

describe('withRootSpan', () => {
  it('when called inside a request span, then it starts a new trace with the given kind, attributes and links', async () => {
    const message = tracer.startSpan('send user-events', { kind: SpanKind.PRODUCER });
    const carrier = injectTraceparent(trace.setSpan(ROOT_CONTEXT, message));
    message.end();
    const request = tracer.startSpan('GET /users/:id');

    const result = await context.with(trace.setSpan(context.active(), request), () =>
      withRootSpan(
        messagingSpanName('process', 'user-events'),
        async (span) => {
          await new Promise((r) => setTimeout(r, 1));
          // The span stays active across awaits, so client spans (ioredis, pg) nest under it.
          expect(trace.getActiveSpan()).toBe(span);
          tracer.startSpan('child').end();
          return 42;
        },
        {
          kind: SpanKind.CONSUMER,
          links: linksFromCarriers(carrier),
          attributes: { [ATTR.MESSAGING_SYSTEM]: MESSAGING_SYSTEM_REDIS, [ATTR.EVENT_TYPE]: 'user.updated' },
        },
      ),
    );
    request.end();

    expect(result).toBe(42);
    const root = finished('process user-events');
    expect(root?.kind).toBe(SpanKind.CONSUMER);
    expect(root?.parentSpanContext).toBeUndefined();
    expect(root?.spanContext().traceId).not.toBe(request.spanContext().traceId);
    expect(root?.attributes).toEqual({ 'messaging.system': 'redis', 'redwire.event.type': 'user.updated' });
    const { traceId, spanId } = message.spanContext();
    expect(root?.links.map((l) => l.context)).toEqual([expect.objectContaining({ traceId, spanId })]);
    expect(root?.status.code).toBe(SpanStatusCode.UNSET);
    expect(finished('child')?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
  });

  it('when the work throws, then the span is ended with ERROR status and the exception, and the error is rethrown', async () => {
    const error = new Error('relay failed');
    await expect(withRootSpan(SPAN.OUTBOX_RELAY, () => Promise.reject(error))).rejects.toBe(error);
    const span = finished(SPAN.OUTBOX_RELAY);
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'relay failed' });
    expect(span?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([
      ['exception', 'relay failed'],
    ]);
    expect(span?.ended).toBe(true);
  });

  it('when a parent context is given, then the span continues that trace as a child', async () => {
    const producer = tracer.startSpan('add user-cache.invalidate');
    const carrier = injectTraceparent(trace.setSpan(ROOT_CONTEXT, producer));
    producer.end();
    await withRootSpan('process user-cache', () => undefined, { parentContext: extractContext(carrier) });
    const span = finished('process user-cache');
    expect(span?.spanContext().traceId).toBe(producer.spanContext().traceId);
    expect(span?.parentSpanContext?.spanId).toBe(producer.spanContext().spanId);
    expect(span?.kind).toBe(SpanKind.INTERNAL);
  });
});

describe('trace context carriers', () => {
  it('when injected inside a span, then traceparent is the W3C form of that span and extracts back to it', () => {
    const span = tracer.startSpan('x');
    const carrier = context.with(trace.setSpan(ROOT_CONTEXT, span), () => injectTraceparent());
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(carrier).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
    expect(trace.getSpanContext(extractContext(carrier))).toMatchObject({ traceId, spanId, isRemote: true });
  });

  it('when there is no active span, then nothing is injected', () => {
    expect(injectTraceparent()).toEqual({});
  });

  it('when a carrier is missing or malformed, then extraction yields the root context and no link', () => {
    const bad = [undefined, null, {}, { traceparent: 'garbage' }, { traceparent: 42 }];
    for (const carrier of bad) expect(extractContext(carrier)).toBe(ROOT_CONTEXT);
    const good = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    expect(linksFromCarriers(...bad, good).map((l) => l.context.spanId)).toEqual(['b7ad6b7169203331']);
  });
});
