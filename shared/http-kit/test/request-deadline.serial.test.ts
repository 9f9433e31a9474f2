import { currentDeadline, RequestDeadlineExceededError } from '@redwire/deadline';
import { errorHandler, jsonBody, requestDeadline, requestId } from '@redwire/http-kit';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { readProblem, recordingLogger, serve } from './helpers';

const BUDGET_MS = 200;
const GRACE_MS = 100;
const MARGIN_MS = 150;

function appWith(
  handler: express.RequestHandler,
  logger = recordingLogger(),
  method: 'get' | 'post' = 'get',
) {
  const app = express();
  app.use(requestId());
  app.use(requestDeadline({ budgetMs: BUDGET_MS, graceMs: GRACE_MS, logger }));
  app[method]('/work', jsonBody(), handler);
  app.use(errorHandler({ logger }));
  return app;
}

describe('requestDeadline', () => {
  it('when a handler runs (after the JSON body is read too), then it sees one deadline of the configured budget', async () => {
    const server = await serve(
      appWith(
        async (_req, res) => {
          await new Promise((r) => setTimeout(r, 5));
          const deadline = currentDeadline();
          res.json({ budgetMs: deadline?.budgetMs, left: deadline?.remainingMs() });
        },
        undefined,
        'post',
      ),
    );
    const res = await fetch(`${server.url}/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    const body = (await res.json()) as { budgetMs: number; left: number };
    expect(body.budgetMs).toBe(BUDGET_MS);
    expect(body.left).toBeGreaterThan(0);
    expect(body.left).toBeLessThan(BUDGET_MS);
  });

  it('when dependency work gives up at the deadline, then the answer is 503 E_UNAVAILABLE with Retry-After', async () => {
    const server = await serve(
      appWith(async () => {
        throw new RequestDeadlineExceededError(BUDGET_MS);
      }),
    );
    const res = await fetch(`${server.url}/work`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await readProblem(res)).toMatchObject({ code: 'E_UNAVAILABLE' });
  });

  it('when a handler ignores the deadline, then the backstop answers 503 at budget plus grace, logs it, and the late answer is dropped', async () => {
    const logger = recordingLogger();
    let lateAnswerTried = false;
    const server = await serve(
      appWith(async (_req, res) => {
        await new Promise((r) => setTimeout(r, BUDGET_MS + GRACE_MS + 200));
        lateAnswerTried = true;
        res.json({ late: true }); // throws ERR_HTTP_HEADERS_SENT into the error handler
      }, logger),
    );
    const started = performance.now();
    const res = await fetch(`${server.url}/work`);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await readProblem(res)).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(elapsed).toBeGreaterThanOrEqual(BUDGET_MS + GRACE_MS - 5);
    expect(elapsed).toBeLessThan(BUDGET_MS + GRACE_MS + MARGIN_MS);
    expect(logger.entries.map((e) => e.msg)).toContain(
      'request outlived its deadline; answered 503 by the backstop',
    );
    await new Promise((r) => setTimeout(r, 300));
    // The handler's late res.json threw ERR_HTTP_HEADERS_SENT into the error handler, which let it be.
    expect(lateAnswerTried).toBe(true);
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(404); // the server still serves
  });
});
