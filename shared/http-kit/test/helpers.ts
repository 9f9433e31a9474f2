import { type Logger, type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import type { Express } from 'express';
import { afterEach } from 'vitest';

export interface LogEntry {
  level: 'error' | 'warn' | 'info';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that keeps every entry for assertions. */
export function recordingLogger(): Logger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: Record<string, unknown>, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, error: at('error'), warn: at('warn'), info: at('info') };
}

const running: RunningHttpServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close(1000)));
});

/** Starts `app` on an ephemeral port; closed after the test. */
export async function serve(app: Express): Promise<RunningHttpServer> {
  const server = await startHttpServer(app);
  running.push(server);
  return server;
}

/** Fields every problem+json body has. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  [extension: string]: unknown;
}

/** Asserts a problem response's envelope and returns its body. */
export async function readProblem(res: Response): Promise<Problem> {
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${contentType} (${res.status}): ${await res.text()}`);
  }
  const body = (await res.json()) as Problem;
  if (body.instance !== res.headers.get('x-request-id')) {
    throw new Error(`instance ${body.instance} != X-Request-Id ${res.headers.get('x-request-id')}`);
  }
  if (body.status !== res.status) throw new Error(`body status ${body.status} != ${res.status}`);
  return body;
}
