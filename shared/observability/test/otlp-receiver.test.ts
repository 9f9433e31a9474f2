import { gzipSync } from 'node:zlib';
import { startOtlpReceiver } from '@redwire/testing';
import { describe, expect, it } from 'vitest';

// Shaped like opentelemetry-proto's examples/trace.json: hex ids, integer enums, decimal-string int64.
const exportRequest = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'redwire-user-worker' } }] },
      scopeSpans: [
        {
          scope: { name: 'bullmq' },
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              parentSpanId: 'eee19b7ec3c1b173',
              name: 'process user-cache',
              kind: 5,
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000000',
              attributes: [
                { key: 'bullmq.job.attempts.made', value: { intValue: '2' } },
                {
                  key: 'tags',
                  value: { arrayValue: { values: [{ stringValue: 'a' }, { boolValue: true }] } },
                },
              ],
              links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' }],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

describe('startOtlpReceiver', () => {
  it('when a gzipped OTLP/JSON export arrives, then its spans are decoded and waitFor resolves', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const waiting = receiver.waitFor((spans) => spans.some((s) => s.kind === 'consumer'), 2000);
      const res = await fetch(receiver.tracesUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(exportRequest)),
      });
      expect(res.status).toBe(200);
      const [span] = await waiting;
      expect(span).toMatchObject({
        serviceName: 'redwire-user-worker',
        scope: 'bullmq',
        traceId: '5b8efff798038103d269b633813fc60c',
        parentSpanId: 'eee19b7ec3c1b173',
        name: 'process user-cache',
        kind: 'consumer',
        attributes: { 'bullmq.job.attempts.made': 2, tags: ['a', true] },
        links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', attributes: {} }],
        status: { code: 2, message: 'boom' },
      });
      expect(receiver.exports).toEqual([
        { path: '/v1/traces', contentType: 'application/json', bytes: expect.any(Number) },
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('when the condition is never met, then waitFor rejects naming the spans it did get', async () => {
    const receiver = await startOtlpReceiver();
    try {
      await fetch(receiver.tracesUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(exportRequest),
      });
      await expect(receiver.waitFor(() => false, 50)).rejects.toThrow(
        /redwire-user-worker:process user-cache/,
      );
      expect((await fetch(`${receiver.url}/v1/metrics`, { method: 'POST', body: '{}' })).status).toBe(404);
      expect(
        (
          await fetch(receiver.tracesUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{',
          })
        ).status,
      ).toBe(400);
    } finally {
      await receiver.close();
    }
  });
});
