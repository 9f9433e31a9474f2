/**
 * `node --require @redwire/observability/preload dist/main.js`
 *
 * Must run before express, ioredis, pg or pino are first required, so the instrumentations can patch
 * them. This is the one module of the shared code that reads `process.env` (the standard `OTEL_*`
 * variables); see the package README for the list.
 */
import { startTelemetry } from './telemetry/start-telemetry';

startTelemetry(process.env);
