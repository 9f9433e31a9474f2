// The received spans, answered in the shape of Jaeger's HTTP query API (the one its UI uses: /api/services,
// /api/services/{service}/operations, /api/traces?service=&operation=&tags=&limit=, /api/traces/{id}), so a
// client written against Jaeger reads this receiver unchanged. Spans are converted the way Jaeger converts
// OTLP: the parent becomes a CHILD_OF reference and links FOLLOWS_FROM references; the kind, scope and status
// become the tags span.kind, otel.scope.name, otel.scope.version, otel.status_code (and error=true).
import type { ReceivedSpan } from './otlp-decode.ts';

export interface JaegerTag {
  key: string;
  type: 'string' | 'bool' | 'int64' | 'float64';
  value: string | number | boolean;
}
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  /** Microseconds since the epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerTag[];
  logs: { timestamp: number; fields: JaegerTag[] }[];
  processID: string;
}
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: JaegerTag[] }>;
}
export interface TraceQuery {
  service: string;
  operation?: string;
  /** Every tag must be on one span of the service (values compared as strings). */
  tags?: Record<string, string>;
  limit?: number;
}

const KIND_NAMES = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_NAMES = ['', 'OK', 'ERROR'];

function tag(key: string, value: unknown): JaegerTag {
  if (typeof value === 'boolean') return { key, type: 'bool', value };
  if (typeof value === 'number') return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  if (typeof value === 'string') return { key, type: 'string', value };
  return { key, type: 'string', value: JSON.stringify(value) };
}
const tags = (attributes: Record<string, unknown>): JaegerTag[] =>
  Object.entries(attributes).map(([key, value]) => tag(key, value));
const micros = (nanos: bigint): number => Number(nanos / 1000n);

function spanTags(span: ReceivedSpan): JaegerTag[] {
  const result = tags(span.attributes);
  if (KIND_NAMES[span.kind]) result.push(tag('span.kind', KIND_NAMES[span.kind]));
  if (span.scope.name) result.push(tag('otel.scope.name', span.scope.name));
  if (span.scope.version) result.push(tag('otel.scope.version', span.scope.version));
  if (STATUS_NAMES[span.status.code]) result.push(tag('otel.status_code', STATUS_NAMES[span.status.code]));
  if (span.status.message) result.push(tag('otel.status_description', span.status.message));
  if (span.status.code === 2) result.push(tag('error', true));
  return result;
}

/** One trace in Jaeger's JSON: a process per distinct service. */
export function toJaegerTrace(traceId: string, spans: readonly ReceivedSpan[]): JaegerTrace {
  const processes: JaegerTrace['processes'] = {};
  const processIds = new Map<string, string>();
  const processOf = (span: ReceivedSpan): string => {
    let id = processIds.get(span.serviceName);
    if (!id) {
      id = `p${processIds.size + 1}`;
      processIds.set(span.serviceName, id);
      const { 'service.name': _, ...resourceTags } = span.resource;
      processes[id] = { serviceName: span.serviceName, tags: tags(resourceTags) };
    }
    return id;
  };
  return {
    traceID: traceId,
    spans: spans.map((span) => ({
      traceID: span.traceId,
      spanID: span.spanId,
      operationName: span.name,
      references: [
        ...(span.parentSpanId
          ? [{ refType: 'CHILD_OF' as const, traceID: span.traceId, spanID: span.parentSpanId }]
          : []),
        ...span.links.map((link) => ({
          refType: 'FOLLOWS_FROM' as const,
          traceID: link.traceId,
          spanID: link.spanId,
        })),
      ],
      startTime: micros(span.startTimeUnixNano),
      duration: micros(span.endTimeUnixNano - span.startTimeUnixNano),
      tags: spanTags(span),
      logs: span.events.map((event) => ({
        timestamp: micros(event.timeUnixNano),
        fields: [tag('event', event.name), ...tags(event.attributes)],
      })),
      processID: processOf(span),
    })),
    processes,
  };
}

/** Spans by trace, oldest trace dropped first once `maxSpans` is exceeded. */
export class SpanStore {
  private readonly traces = new Map<string, ReceivedSpan[]>();
  private spanCount = 0;
  private readonly maxSpans: number;

  constructor(maxSpans = 200_000) {
    this.maxSpans = maxSpans;
  }

  add(spans: readonly ReceivedSpan[]): void {
    for (const span of spans) {
      const trace = this.traces.get(span.traceId);
      if (trace) trace.push(span);
      else this.traces.set(span.traceId, [span]);
      this.spanCount += 1;
    }
    for (const [traceId, trace] of this.traces) {
      if (this.spanCount <= this.maxSpans) break;
      this.traces.delete(traceId);
      this.spanCount -= trace.length;
    }
  }

  services(): string[] {
    const names = new Set<string>();
    for (const trace of this.traces.values()) for (const span of trace) names.add(span.serviceName);
    return [...names].sort();
  }

  operations(service: string): string[] {
    const names = new Set<string>();
    for (const trace of this.traces.values()) {
      for (const span of trace) if (span.serviceName === service) names.add(span.name);
    }
    return [...names].sort();
  }

  trace(traceId: string): JaegerTrace | undefined {
    const spans = this.traces.get(traceId.toLowerCase());
    return spans ? toJaegerTrace(traceId.toLowerCase(), spans) : undefined;
  }

  /** Newest first (by the earliest span of each trace). */
  find(query: TraceQuery): JaegerTrace[] {
    const matches = (span: ReceivedSpan): boolean =>
      span.serviceName === query.service &&
      (!query.operation || span.name === query.operation) &&
      Object.entries(query.tags ?? {}).every(([key, value]) => String(span.attributes[key]) === value);
    const found: { start: bigint; trace: JaegerTrace }[] = [];
    for (const [traceId, spans] of this.traces) {
      if (!spans.some(matches)) continue;
      let start = spans[0]?.startTimeUnixNano ?? 0n;
      for (const span of spans) if (span.startTimeUnixNano < start) start = span.startTimeUnixNano;
      found.push({ start, trace: toJaegerTrace(traceId, spans) });
    }
    found.sort((a, b) => (a.start === b.start ? 0 : a.start > b.start ? -1 : 1));
    return found.slice(0, query.limit ?? 20).map((entry) => entry.trace);
  }
}
