import type { Instrumentation } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { redisStatementSerializer } from './redis-statement';
import { UNTRACED_PATHS } from './untraced-paths';

const FACTORIES = {
  http: () =>
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?', 1)[0] ?? ''),
    }),
  // Middleware layers (body parser, request id, logger, metrics…) would add ~6 spans to every request
  // and say little: the Redis/PG spans they cause still hang off the request span.
  express: () => new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
  // requireParentSpan (the default) keeps blocking consumer loops and connection set-up out of traces;
  // background work gets spans by running inside withRootSpan.
  ioredis: () =>
    new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: redisStatementSerializer }),
  // Never record bound parameter values (enhancedDatabaseReporting): they hold emails and hashes.
  pg: () => new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
  // Logs go to stdout; the instrumentation only adds trace ids (our mixin does too, see logger factory).
  pino: () => new PinoInstrumentation({ disableLogSending: true }),
} satisfies Record<string, () => Instrumentation>;

/** Names accepted in `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `OTEL_NODE_DISABLED_INSTRUMENTATIONS`. */
export type InstrumentationName = keyof typeof FACTORIES;

function parseList(value: string | undefined): Set<string> | undefined {
  const items = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length > 0 ? new Set(items) : undefined;
}

/**
 * The instrumentations to register, filtered the way auto-instrumentations-node filters its own list
 * (enabled list first, then the disabled list removes).
 */
export function selectInstrumentations(env: Readonly<Record<string, string | undefined>>): Instrumentation[] {
  const enabled = parseList(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const disabled = parseList(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS);
  return (Object.keys(FACTORIES) as InstrumentationName[])
    .filter((name) => (enabled ? enabled.has(name) : true) && !disabled?.has(name))
    .map((name) => FACTORIES[name]());
}
