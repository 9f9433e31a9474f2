// OTLP trace exports → flat spans. Both encodings OpenTelemetry exporters send over HTTP are decoded:
// protobuf (`http/protobuf`, the SDK default and what docker-compose.yml sets; also the payload of a gRPC
// call) and JSON (`http/json`: ids in hex, 64-bit integers as strings). The protobuf wire format is read
// by protobufjs from otlp-trace.proto.
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

export interface ReceivedSpan {
  /** `service.name` of the exporting resource. */
  serviceName: string;
  resource: Record<string, unknown>;
  scope: { name: string; version: string };
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, unknown>;
  events: { timeUnixNano: bigint; name: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
}

// The shapes below are what protobufjs `toObject` (camelCase, bytes as Uint8Array, longs as strings) and
// OTLP/JSON (ids as hex strings) have in common.
type Id = string | Uint8Array | undefined;
type Long = string | number | undefined;
interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Long;
  doubleValue?: number;
  bytesValue?: Id;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface OtlpSpan {
  traceId?: Id;
  spanId?: Id;
  parentSpanId?: Id;
  name?: string;
  kind?: number;
  startTimeUnixNano?: Long;
  endTimeUnixNano?: Long;
  attributes?: KeyValue[];
  events?: { timeUnixNano?: Long; name?: string; attributes?: KeyValue[] }[];
  links?: { traceId?: Id; spanId?: Id; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface ExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
  }[];
}

const root = protobuf.parse(readFileSync(new URL('./otlp-trace.proto', import.meta.url), 'utf8')).root;
const RequestType = root.lookupType('otlp.ExportTraceServiceRequest');

const hex = (id: Id): string =>
  id === undefined ? '' : typeof id === 'string' ? id.toLowerCase() : Buffer.from(id).toString('hex');
const nanos = (value: Long): bigint => BigInt(value ?? 0);

function decodeValue(value: AnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return hex(value.bytesValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue) return decodeAttributes(value.kvlistValue.values);
  return undefined;
}

function decodeAttributes(list: KeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeValue(kv.value)]));
}

function flatten(request: ExportTraceServiceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = decodeAttributes(resourceSpans.resource?.attributes);
    const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown';
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = { name: scopeSpans.scope?.name ?? '', version: scopeSpans.scope?.version ?? '' };
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          serviceName,
          resource,
          scope,
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name ?? '',
          kind: span.kind ?? 0,
          startTimeUnixNano: nanos(span.startTimeUnixNano),
          endTimeUnixNano: nanos(span.endTimeUnixNano),
          attributes: decodeAttributes(span.attributes),
          events: (span.events ?? []).map((event) => ({
            timeUnixNano: nanos(event.timeUnixNano),
            name: event.name ?? '',
            attributes: decodeAttributes(event.attributes),
          })),
          links: (span.links ?? []).map((link) => ({
            traceId: hex(link.traceId),
            spanId: hex(link.spanId),
            attributes: decodeAttributes(link.attributes),
          })),
          status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
        });
      }
    }
  }
  return spans;
}

/** Decodes a protobuf `ExportTraceServiceRequest`; throws on malformed input. */
export function decodeProtobufExport(body: Uint8Array): ReceivedSpan[] {
  const message = RequestType.decode(body);
  return flatten(RequestType.toObject(message, { longs: String }) as ExportTraceServiceRequest);
}

/** Decodes an OTLP/JSON `ExportTraceServiceRequest`; throws on malformed input. */
export function decodeJsonExport(body: Uint8Array): ReceivedSpan[] {
  return flatten(JSON.parse(Buffer.from(body).toString('utf8')) as ExportTraceServiceRequest);
}
