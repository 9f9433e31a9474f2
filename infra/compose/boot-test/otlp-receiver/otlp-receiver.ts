// Stands in for Jaeger in the compose boot test: it listens where Jaeger's all-in-one listens (OTLP over gRPC
// on 4317 and over HTTP on 4318, the query API on 16686), keeps every span it receives in memory and answers
// Jaeger's query API (span-store.ts). It has no UI.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeJsonExport, decodeProtobufExport, type ReceivedSpan } from './otlp-decode.ts';
import { SpanStore } from './span-store.ts';

export interface OtlpReceiverOptions {
  host: string;
  /** OTLP/gRPC; 0 picks a free port. */
  grpcPort: number;
  /** OTLP/HTTP; 0 picks a free port. */
  httpPort: number;
  /** Jaeger's query API; 0 picks a free port. */
  queryPort: number;
  /** Largest accepted export, bytes. Default 20 MiB. */
  maxBodyBytes?: number;
  /** Receives one line per export (who sent it, how many spans, or why it was refused). Default: none. */
  log?: (line: string) => void;
}

export interface RunningReceiver {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly queryPort: number;
  readonly store: SpanStore;
  close(): Promise<void>;
}

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const GRPC_OK = '0';
const GRPC_INVALID_ARGUMENT = '3';
const GRPC_UNIMPLEMENTED = '12';

/** `12 spans (redwire-auth)`: enough to follow, in the container log, who exported when. */
function describeSpans(spans: readonly ReceivedSpan[]): string {
  return `${spans.length} spans (${[...new Set(spans.map((s) => s.serviceName))].join(', ')})`;
}

function readBody(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** OTLP/HTTP: POST /v1/traces, protobuf or JSON, optionally gzip; other signals are not collected (404). */
function otlpHttpHandler(
  store: SpanStore,
  maxBytes: number,
  log: (line: string) => void,
): http.RequestListener {
  return (req, res) => {
    const from = req.socket.remoteAddress;
    void (async () => {
      const path = (req.url ?? '').split('?', 1)[0];
      if (req.method !== 'POST' || path !== '/v1/traces') {
        req.resume();
        res.writeHead(404).end();
        return;
      }
      const contentType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim() ?? '';
      const decode =
        contentType === 'application/x-protobuf'
          ? decodeProtobufExport
          : contentType === 'application/json'
            ? decodeJsonExport
            : undefined;
      if (!decode) {
        req.resume();
        res.writeHead(415).end();
        return;
      }
      let spans: ReceivedSpan[];
      try {
        let body = await readBody(req, maxBytes);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        spans = decode(body);
      } catch (error) {
        log(`http export from ${from} refused: ${(error as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      store.add(spans);
      log(`http export from ${from}: ${describeSpans(spans)}`);
      // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
      res.writeHead(200, { 'content-type': contentType });
      res.end(contentType === 'application/json' ? '{}' : undefined);
    })();
  };
}

/** OTLP/gRPC: the unary TraceService/Export call, length-prefixed protobuf messages (gzip if flagged). */
function otlpGrpcHandler(store: SpanStore, maxBytes: number, log: (line: string) => void) {
  return (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    const from = stream.session?.socket.remoteAddress;
    const finish = (status: string, reply?: Buffer) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status }));
      stream.end(reply);
    };
    if (headers[':path'] !== GRPC_EXPORT_PATH) {
      stream.resume();
      finish(GRPC_UNIMPLEMENTED);
      return;
    }
    void readBody(stream, maxBytes).then(
      (body) => {
        try {
          const spans: ReceivedSpan[] = [];
          for (let offset = 0; offset < body.length; ) {
            const compressed = body.readUInt8(offset) === 1;
            const length = body.readUInt32BE(offset + 1);
            const message = body.subarray(offset + 5, offset + 5 + length);
            if (message.length !== length) throw new Error('truncated gRPC frame');
            spans.push(...decodeProtobufExport(compressed ? gunzipSync(message) : message));
            offset += 5 + length;
          }
          store.add(spans);
          log(`grpc export from ${from}: ${describeSpans(spans)}`);
          finish(GRPC_OK, Buffer.alloc(5)); // one uncompressed, empty ExportTraceServiceResponse
        } catch (error) {
          log(`grpc export from ${from} refused: ${(error as Error).message}`);
          finish(GRPC_INVALID_ARGUMENT);
        }
      },
      () => finish(GRPC_INVALID_ARGUMENT),
    );
  };
}

function queryHandler(store: SpanStore): http.RequestListener {
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return (req, res) => {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://receiver');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method !== 'GET') return json(res, 405, { errors: [{ msg: 'GET only' }] });
    if (parts[0] !== 'api') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('OTLP receiver standing in for Jaeger: query API under /api, no UI.\n');
    }
    if (parts[1] === 'services' && parts.length === 2) {
      const data = store.services();
      return json(res, 200, { data, total: data.length });
    }
    if (parts[1] === 'services' && parts[3] === 'operations' && parts.length === 4) {
      const data = store.operations(parts[2] ?? '');
      return json(res, 200, { data, total: data.length });
    }
    if (parts[1] === 'traces' && parts.length === 3) {
      const trace = store.trace(parts[2] ?? '');
      return trace
        ? json(res, 200, { data: [trace] })
        : json(res, 404, { errors: [{ msg: 'trace not found' }] });
    }
    if (parts[1] === 'traces' && parts.length === 2) {
      const service = url.searchParams.get('service');
      if (!service) return json(res, 400, { errors: [{ msg: 'parameter service is required' }] });
      let tags: Record<string, string> | undefined;
      try {
        const raw = url.searchParams.get('tags');
        tags = raw ? (JSON.parse(raw) as Record<string, string>) : undefined;
      } catch {
        return json(res, 400, { errors: [{ msg: 'tags must be a JSON object' }] });
      }
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const data = store.find({
        service,
        ...(url.searchParams.get('operation')
          ? { operation: url.searchParams.get('operation') as string }
          : {}),
        ...(tags ? { tags } : {}),
        limit: Number.isInteger(limit) && limit > 0 ? limit : 20,
      });
      return json(res, 200, { data, total: data.length });
    }
    return json(res, 404, { errors: [{ msg: 'not found' }] });
  };
}

function listen(server: http.Server | http2.Http2Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startOtlpReceiver(options: OtlpReceiverOptions): Promise<RunningReceiver> {
  const maxBytes = options.maxBodyBytes ?? 20 * 1024 * 1024;
  const log = options.log ?? (() => {});
  const store = new SpanStore();
  const httpServer = http.createServer(otlpHttpHandler(store, maxBytes, log));
  // Exporters keep their connection open between batches. Node closes idle ones after 5 s (Jaeger's
  // collector after a minute), which makes every batch reconnect and look the name up again: on the boot
  // test's engine that lookup sometimes stalls for 20 s (aardvark-dns), longer than a service's 5 s to
  // flush spans on shutdown. Idle connections stay open here; close() ends them.
  httpServer.keepAliveTimeout = 0;
  const grpcServer = http2.createServer();
  grpcServer.on('stream', otlpGrpcHandler(store, maxBytes, log));
  // An HTTP/2 server closes only once its sessions have; exporters keep theirs open.
  const grpcSessions = new Set<http2.ServerHttp2Session>();
  grpcServer.on('session', (session) => {
    grpcSessions.add(session);
    session.on('close', () => grpcSessions.delete(session));
  });
  const queryServer = http.createServer(queryHandler(store));
  const [grpcPort, httpPort, queryPort] = await Promise.all([
    listen(grpcServer, options.grpcPort, options.host),
    listen(httpServer, options.httpPort, options.host),
    listen(queryServer, options.queryPort, options.host),
  ]);
  return {
    grpcPort,
    httpPort,
    queryPort,
    store,
    close: async () => {
      const grpcClosed = new Promise<void>((resolve) => grpcServer.close(() => resolve()));
      for (const session of grpcSessions) session.destroy();
      await Promise.all([close(httpServer), grpcClosed, close(queryServer)]);
    },
  };
}
