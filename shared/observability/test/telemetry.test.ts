import { shutdownTelemetry } from '@redwire/observability';
import { describe, expect, it } from 'vitest';
import { throttledDiagLogger } from '../src/telemetry/diag-logger';
import { selectInstrumentations } from '../src/telemetry/instrumentations';
import { redisStatementSerializer } from '../src/telemetry/redis-statement';
import { sdkDisabled, tracesExportConfigured } from '../src/telemetry/start-telemetry';
import { registerTelemetryHandle } from '../src/telemetry/telemetry-handle';

describe('redisStatementSerializer', () => {
  it('when a command writes a value, then only the key and an argument count are recorded', () => {
    expect(redisStatementSerializer('set', ['sess:abc', '{"secret":1}', 'EX', 60])).toBe(
      'SET sess:abc [3 other arguments]',
    );
    expect(redisStatementSerializer('hset', ['k', 'field', 'value'])).toBe('HSET k [2 other arguments]');
    expect(redisStatementSerializer('get', ['user:1'])).toBe('GET user:1');
    expect(redisStatementSerializer('ping', [])).toBe('PING');
  });

  it('when a script runs, then the sha and its keys are recorded but not its ARGV', () => {
    expect(
      redisStatementSerializer('evalsha', ['abc123', 2, '{s}:a', '{s}:b', 'token-hash', 'payload']),
    ).toBe('EVALSHA abc123 2 {s}:a {s}:b [2 other arguments]');
    expect(redisStatementSerializer('eval', ['return 1', 0, 'x'])).toBe(
      'EVAL <script> 0 [1 other arguments]',
    );
  });

  it('when a command carries credentials, then only its name is recorded', () => {
    expect(redisStatementSerializer('auth', ['user', 'p4ss'])).toBe('AUTH');
    expect(redisStatementSerializer('hello', [3, 'AUTH', 'user', 'p4ss'])).toBe('HELLO');
  });
});

describe('environment handling', () => {
  it('when an endpoint or an exporter is set, then export is configured; otherwise not', () => {
    expect(tracesExportConfigured({})).toBe(false);
    expect(tracesExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracesExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(true);
    expect(tracesExportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces' })).toBe(
      true,
    );
    expect(tracesExportConfigured({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(sdkDisabled({ OTEL_SDK_DISABLED: 'TRUE' })).toBe(true);
    expect(sdkDisabled({ OTEL_SDK_DISABLED: '1' })).toBe(false);
  });

  it('when instrumentations are enabled or disabled by env, then only the selected ones are built', () => {
    const names = (env: Record<string, string>) =>
      selectInstrumentations(env).map((i) =>
        i.instrumentationName.replace('@opentelemetry/instrumentation-', ''),
      );
    expect(names({})).toEqual(['http', 'express', 'ioredis', 'pg', 'pino']);
    expect(names({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, ioredis' })).toEqual(['http', 'ioredis']);
    expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pino,pg' })).toEqual(['http', 'express', 'ioredis']);
  });
});

describe('throttledDiagLogger', () => {
  it('when the same failure repeats, then it is written once per interval, summarised without the stack', () => {
    const written: string[] = [];
    const logger = throttledDiagLogger((line) => written.push(line), 60_000);
    const exception = JSON.stringify({ message: 'connect ECONNREFUSED 127.0.0.1:4318', stack: 'Error: …' });
    for (let i = 0; i < 5; i++) logger.error(exception);
    logger.warn('Module express has been loaded before @opentelemetry/instrumentation-express');
    logger.info('noise');
    expect(written).toEqual([
      '[redwire/observability] error: exception: connect ECONNREFUSED 127.0.0.1:4318\n',
      '[redwire/observability] warn: Module express has been loaded before @opentelemetry/instrumentation-express\n',
    ]);
  });
});

describe('shutdownTelemetry', () => {
  it('when the preload did not run, then it resolves true at once', async () => {
    expect(await shutdownTelemetry()).toBe(true);
  });

  it('when the flush hangs, then it gives up after the timeout and reports false', async () => {
    let calls = 0;
    registerTelemetryHandle({
      shutdown: () => {
        calls++;
        return new Promise(() => {});
      },
    });
    const started = Date.now();
    expect(await shutdownTelemetry({ timeoutMs: 100 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toBe(1);
    await expect(shutdownTelemetry({ timeoutMs: -1 })).rejects.toThrow(RangeError);
  });
});
