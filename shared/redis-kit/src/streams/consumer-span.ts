import {
  type Context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import { MESSAGING_SYSTEM, SpanAttributes, SpanNames, tracer } from '../telemetry';

/**
 * Starts the CONSUMER span `process <destination>` for one entry: linked to the producer's span context
 * carried in the entry's `traceparent`, and (with continueTrace) its child, so Jaeger shows the event in
 * the trace of the request that caused it. Returns the span and the context it belongs under.
 */
export function startConsumerSpan(
  id: string,
  fields: Readonly<Record<string, string>>,
  deliveryCount: number,
  options: { destinationName: string; group: string; continueTrace: boolean },
): { span: Span; parent: Context } {
  const producer = propagation.extract(ROOT_CONTEXT, fields);
  const producerSpan = trace.getSpanContext(producer);
  const links: Link[] = producerSpan && isSpanContextValid(producerSpan) ? [{ context: producerSpan }] : [];
  const parent = options.continueTrace ? producer : ROOT_CONTEXT;
  const span = tracer().startSpan(
    SpanNames.process(options.destinationName),
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        [SpanAttributes.messagingSystem]: MESSAGING_SYSTEM,
        [SpanAttributes.destination]: options.destinationName,
        [SpanAttributes.operationType]: 'process',
        [SpanAttributes.operationName]: 'process',
        [SpanAttributes.messageId]: id,
        [SpanAttributes.consumerGroup]: options.group,
        [SpanAttributes.deliveryCount]: deliveryCount,
      },
    },
    parent,
  );
  return { span, parent };
}
