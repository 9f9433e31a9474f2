import { randomUUID } from 'node:crypto';
import { Keyspace } from '@redwire/redis-kit';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@redwire/testing';
import { UserCacheKeys } from '@redwire/user';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiUser, type RunningStack, registerAndLogin, startLocalStack } from './support/local-stack';
import { SpanGraph } from './support/span-graph';

// The whole stack as `npm start` runs it, configured only through the standard OTEL_* variables, exporting
// OTLP/HTTP JSON to an in-process receiver: what Jaeger shows in compose, asserted span by span.

const SERVICES = ['redwire-gateway', 'redwire-user', 'redwire-user-worker', 'redwire-auth'];
const GROUP = 'messaging.consumer.group.name';
const QUEUE = 'bullmq.queue.name';
const PG_SCOPE = '@opentelemetry/instrumentation-pg';
const REDIS_SCOPE = '@opentelemetry/instrumentation-ioredis';

let receiver: OtlpReceiver;
let stack: RunningStack;
let ada: ApiUser;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startLocalStack({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    LOG_LEVEL: 'info',
  });
  ada = await registerAndLogin(stack.gatewayUrl, 'trace');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
}, 60_000);

/** Sends a request through the gateway with a request id of our own, so its spans and logs can be found. */
async function send(
  method: string,
  path: string,
  body?: object,
): Promise<{ status: number; requestId: string }> {
  const requestId = randomUUID();
  const response = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ada.token}`,
      'x-request-id': requestId,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  await response.arrayBuffer();
  return { status: response.status, requestId };
}

const gatewayServerSpan = (spans: readonly ReceivedSpan[], requestId: string) =>
  spans.find(
    (s) =>
      s.serviceName === 'redwire-gateway' &&
      s.kind === 'server' &&
      s.attributes['redwire.request.id'] === requestId,
  );

/** The log lines the runner relayed (`[service] {json}`), parsed. */
function logLines(): { service: string; line: Record<string, unknown> }[] {
  return stack.lines.flatMap((raw) => {
    const match = /^\[([a-z-]+)\] (\{.*\})$/.exec(raw);
    if (!match) return [];
    try {
      return [
        { service: match[1] as string, line: JSON.parse(match[2] as string) as Record<string, unknown> },
      ];
    } catch {
      return [];
    }
  });
}

describe('PATCH /users/:id through the gateway', () => {
  let patch: { status: number; requestId: string };
  let graph: SpanGraph;
  let root: ReceivedSpan;
  let trace: ReceivedSpan[];

  beforeAll(async () => {
    patch = await send('PATCH', `/users/${ada.id}`, { bio: 'traced end to end' });
    expect(patch.status).toBe(200);
    // Each process exports its own batches: wait until both consumer groups have processed the event and
    // every span of the trace has its parent, i.e. no process's batch is still on its way.
    const spans = await receiver.waitFor((all) => {
      const gateway = gatewayServerSpan(all, patch.requestId);
      if (!gateway) return false;
      const inTrace = all.filter((s) => s.traceId === gateway.traceId);
      const ids = new Set(inTrace.map((s) => s.spanId));
      const groups = new Set(inTrace.filter((s) => s.kind === 'consumer').map((s) => s.attributes[GROUP]));
      const complete = inTrace.every((s) => s === gateway || ids.has(s.parentSpanId));
      return complete && groups.has('user-cache') && groups.has('auth');
    }, 30_000);
    graph = new SpanGraph(spans);
    root = gatewayServerSpan(spans, patch.requestId) as ReceivedSpan;
    trace = spans.filter((s) => s.traceId === root.traceId);
    if (process.env.REDWIRE_TRACE_DEBUG) process.stdout.write(`${graph.describe(root)}\n`);
  }, 60_000);

  it('when it is traced, then one trace holds the gateway, the user service, PostgreSQL and Redis spans', () => {
    const tree = graph.describe(root);
    const userServer = trace.find((s) => s.serviceName === 'redwire-user' && s.kind === 'server');
    expect(userServer, tree).toBeDefined();
    expect(graph.descendsFrom(userServer as ReceivedSpan, root), tree).toBe(true);
    const inUser = trace.filter((s) => s.serviceName === 'redwire-user');
    expect(
      inUser.some((s) => s.scope === PG_SCOPE && s.kind === 'client'),
      tree,
    ).toBe(true);
    expect(
      inUser.some((s) => s.scope === REDIS_SCOPE && s.kind === 'client'),
      tree,
    ).toBe(true);
    // The gateway's own Redis work (session check, limiter decision) belongs to the same trace.
    expect(
      trace.some((s) => s.serviceName === 'redwire-gateway' && s.scope === REDIS_SCOPE),
      tree,
    ).toBe(true);
  });

  it('when the outbox relay publishes the event, then its PRODUCER span joins the trace through the stored traceparent', () => {
    const producers = trace.filter((s) => s.kind === 'producer' && s.name === 'send user-events');
    expect(
      producers.map((s) => s.serviceName),
      graph.describe(root),
    ).toEqual(['redwire-user-worker']);
    const producer = producers[0] as ReceivedSpan;
    // Parented on the user service's span that wrote the outbox row, in the request's trace.
    expect(graph.get(producer.parentSpanId)?.serviceName).toBe('redwire-user');
    expect(graph.descendsFrom(producer, root)).toBe(true);
  });

  it('when each consumer group processes the event, then its CONSUMER span is a child of, and linked to, the PRODUCER', () => {
    const producer = trace.find((s) => s.kind === 'producer') as ReceivedSpan;
    for (const [group, service] of [
      ['user-cache', 'redwire-user-worker'],
      ['auth', 'redwire-auth'],
    ]) {
      const consumer = trace.find((s) => s.kind === 'consumer' && s.attributes[GROUP] === group);
      expect(consumer?.serviceName, group).toBe(service);
      expect(consumer?.parentSpanId, group).toBe(producer.spanId);
      expect(
        consumer?.links.map((l) => l.spanId),
        group,
      ).toContain(producer.spanId);
    }
    // The user-cache consumer's invalidation runs inside its span.
    const userCache = trace.find((s) => s.attributes[GROUP] === 'user-cache') as ReceivedSpan;
    expect(trace.some((s) => s.scope === REDIS_SCOPE && graph.descendsFrom(s, userCache))).toBe(true);
  });

  it('when its services log, then every line of the request carries its trace id', () => {
    const lines = logLines().filter(({ line }) => line.request_id === patch.requestId);
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set(['gateway', 'user']));
    for (const { service, line } of lines)
      expect(line.trace_id, `${service}: ${line.msg}`).toBe(root.traceId);
  });
});

describe('PATCH /users/:id whose event the worker cannot apply to the cache', () => {
  const isJobAttempt = (s: ReceivedSpan) =>
    s.kind === 'consumer' && s.attributes[QUEUE] === 'cache-invalidation';

  it('when the user-cache consumer hands the invalidation to BullMQ, then the job and each of its attempts are in the write’s trace, under the consumer’s span', async () => {
    // Jobs run only when the consumer cannot invalidate. A hash where the entry's string belongs makes every
    // cache script on this one user fail (WRONGTYPE) — the API's synchronous invalidation and the
    // consumer's alike — while the state Redis, the stream and BullMQ keep working; removing it lets a
    // retry succeed.
    const redis = new Redis(`redis://127.0.0.1:${stack.ports.cacheRedis}`);
    const entry = new UserCacheKeys(new Keyspace({ service: 'user' })).forUser(ada.id).entry;
    const inTraceOf = (all: readonly ReceivedSpan[], requestId: string) => {
      const root = gatewayServerSpan(all, requestId);
      return root ? all.filter((s) => s.traceId === root.traceId) : [];
    };
    let write: { status: number; requestId: string };
    try {
      await redis.del(entry);
      await redis.hset(entry, 'planted-by', 'e2e-trace');
      write = await send('PATCH', `/users/${ada.id}`, { bio: 'retried through BullMQ' });
      expect(write.status).toBe(200);
      await receiver.waitFor((all) => inTraceOf(all, write.requestId).some(isJobAttempt), 30_000);
    } finally {
      await redis.del(entry);
      redis.disconnect();
    }
    // An attempt failed on the planted key (an ioredis span with an error under it); a later one succeeds.
    const failedUnder = (graph: SpanGraph, trace: readonly ReceivedSpan[], attempt: ReceivedSpan) =>
      trace.some((s) => s.status.code === 2 && s.scope === REDIS_SCOPE && graph.descendsFrom(s, attempt));
    const spans = await receiver.waitFor((all) => {
      const trace = inTraceOf(all, write.requestId);
      const ids = new Set(trace.map((s) => s.spanId));
      const graph = new SpanGraph(trace);
      const attempts = trace.filter(isJobAttempt);
      return (
        trace.every((s) => s.parentSpanId === '' || ids.has(s.parentSpanId)) &&
        attempts.some((a) => !failedUnder(graph, trace, a))
      );
    }, 30_000);
    const graph = new SpanGraph(spans);
    const root = gatewayServerSpan(spans, write.requestId) as ReceivedSpan;
    const trace = spans.filter((s) => s.traceId === root.traceId);
    const tree = graph.describe(root);
    if (process.env.REDWIRE_TRACE_DEBUG) process.stdout.write(`${tree}\n`);

    const consumer = trace.find((s) => s.kind === 'consumer' && s.attributes[GROUP] === 'user-cache');
    expect(consumer, tree).toBeDefined();
    // The enqueue runs inside the consumer's span; each attempt continues the context stored with the job.
    const add = trace.find((s) => s.kind === 'producer' && s.attributes[QUEUE] === 'cache-invalidation');
    expect(add?.parentSpanId, tree).toBe(consumer?.spanId);
    const attempts = trace.filter(isJobAttempt);
    expect(attempts.length, tree).toBeGreaterThanOrEqual(2);
    for (const attempt of attempts) {
      expect(attempt.serviceName).toBe('redwire-user-worker');
      expect(attempt.parentSpanId, tree).toBe(add?.spanId);
    }
    expect(attempts.filter((a) => failedUnder(graph, trace, a)).length, tree).toBeGreaterThanOrEqual(1);
    expect(attempts.filter((a) => !failedUnder(graph, trace, a)).length, tree).toBeGreaterThanOrEqual(1);
  }, 90_000);
});

describe('DELETE /users/:id through the gateway', () => {
  it('when its server span is followed through parents and links, then it reaches the gateway, the user service and auth’s session revocation', async () => {
    const removed = await send('DELETE', `/users/${ada.id}`);
    expect(removed.status).toBe(204);
    const revokes = (spans: readonly ReceivedSpan[]) => {
      const root = gatewayServerSpan(spans, removed.requestId);
      if (!root) return [];
      return new SpanGraph(spans)
        .reachableFrom(root)
        .filter((s) => s.serviceName === 'redwire-auth' && s.scope === REDIS_SCOPE);
    };
    const spans = await receiver.waitFor((all) => revokes(all).length > 0, 30_000);
    const graph = new SpanGraph(spans);
    const root = gatewayServerSpan(spans, removed.requestId) as ReceivedSpan;
    const reached = graph.reachableFrom(root);
    if (process.env.REDWIRE_TRACE_DEBUG) process.stdout.write(`${graph.describe(root)}\n`);
    const services = new Set(reached.map((s) => s.serviceName));
    expect(
      [...services].filter((s) => SERVICES.includes(s ?? '')).length,
      graph.describe(root),
    ).toBeGreaterThanOrEqual(3);
    for (const service of ['redwire-gateway', 'redwire-user', 'redwire-auth'])
      expect(services).toContain(service);
    expect(reached.some((s) => s.kind === 'producer')).toBe(true);
    expect(reached.some((s) => s.kind === 'consumer' && s.serviceName === 'redwire-auth')).toBe(true);

    // And the revocation took effect: the deleted user's token no longer opens a session.
    const me = await fetch(`${stack.gatewayUrl}/auth/me`, {
      headers: { authorization: `Bearer ${ada.token}` },
    });
    expect(me.status).toBe(401);
  }, 60_000);
});

describe('log lines and traces across the whole run', () => {
  it('when a line is logged inside a request or a job, then it carries a trace id and the trace reached the receiver', async () => {
    const inside = logLines().filter(({ line }) => line.request_id !== undefined || line.jobId !== undefined);
    expect(inside.length).toBeGreaterThan(5);
    const missing = inside.filter(({ line }) => typeof line.trace_id !== 'string');
    expect(missing.map(({ service, line }) => `${service}: ${line.msg}`)).toEqual([]);
    // The last requests' spans may still be in their process's export batch.
    const logged = new Set(inside.map(({ line }) => line.trace_id as string));
    const allExported = (spans: readonly ReceivedSpan[]) => {
      const ids = new Set(spans.map((s) => s.traceId));
      return [...logged].every((id) => ids.has(id));
    };
    await receiver.waitFor(allExported, 10_000).catch(() => undefined);
    const exported = new Set(receiver.spans.map((s) => s.traceId));
    const unexported = inside.filter(({ line }) => !exported.has(line.trace_id as string));
    expect(unexported.map(({ service, line }) => `${service}: ${line.msg} ${line.trace_id}`)).toEqual([]);
  });

  it('when the services export, then each uses its service.name and only OTLP/HTTP JSON reached the receiver', () => {
    const names = new Set(receiver.spans.map((s) => s.serviceName));
    for (const service of SERVICES) expect(names).toContain(service);
    expect(new Set(receiver.exports.map((e) => e.contentType))).toEqual(new Set(['application/json']));
  });
});
