import { type CaseSession, prepareAll, type ThroughputCase, type ThroughputRunner } from '../core/case.types';
import { startGateway } from '../parts/gateway.part';
import { httpDriver, httpRunner } from './user-read.case';

const USER_PATH = '/users/0195f1c2-7a3b-7cde-8f01-23456789abcd';

/** The gateway end to end against the same backend reached directly and through http-proxy-middleware. */
export const gatewayCase: ThroughputCase = {
  kind: 'throughput',
  id: 'gateway',
  title: 'Gateway end to end (identity + limits + proxy)',
  unit: 'req/s',
  driver: httpDriver,
  baseline: 'direct',
  notes: [
    'The backend is a bare Express app answering GET /users/:id with fixed JSON, so the ratios isolate what sits in front of it.',
    'The gateway request is signed in (session cookie): session validation, 2 rate-limit policies (quotas never reached), a signed X-Redwire-Identity, and the proxy hop.',
    'http-proxy-middleware gets a keep-alive agent (its default sends Connection: close) and does nothing else.',
  ],
  variants: [
    {
      id: 'direct',
      label: 'backend direct',
      role: 'baseline',
      description: 'autocannon straight to the backend.',
    },
    {
      id: 'hpm',
      label: 'http-proxy-middleware + keep-alive',
      role: 'baseline',
      description: 'Express + http-proxy-middleware 3.0 with a keep-alive agent in front of the backend.',
    },
    {
      id: 'bare-proxy',
      label: 'bare node:http keep-alive proxy',
      role: 'baseline',
      description:
        'The floor of any proxy: node:http, a keep-alive agent, headers passed through, no routing, limits or identity (for reference).',
    },
    {
      id: 'gateway',
      label: 'redwire gateway',
      role: 'redwire',
      description: 'services/gateway/dist/main.js in front of the backend.',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    const backend = await stack.startTarget('bare', {});
    return {
      variants: await prepareAll({
        direct: () => httpRunner({ url: `${backend.url}${USER_PATH}` }, settings),
        hpm: async () => {
          const { url } = await stack.startTarget('hpm-proxy', { upstream: backend.url });
          return httpRunner({ url: `${url}${USER_PATH}` }, settings);
        },
        'bare-proxy': async () => {
          const { url } = await stack.startTarget('bare-proxy', { upstream: backend.url });
          return httpRunner({ url: `${url}${USER_PATH}` }, settings);
        },
        gateway: async () => {
          const gateway = await startGateway(stack, backend.url);
          const run = httpRunner({ url: `${gateway.url}${USER_PATH}`, headers: gateway.headers }, settings);
          // A decision that missed its deadline still answers 200 (failure mode open/local) and would look
          // like a fast request: count those as errors.
          return async (durationMs) => {
            const before = await gateway.degradedDecisions();
            const sample = await run(durationMs);
            const degraded = (await gateway.degradedDecisions()) - before;
            if (degraded === 0) return sample;
            return {
              ...sample,
              errors: sample.errors + degraded,
              firstError: sample.firstError ?? `${degraded} rate-limit decisions made without Redis`,
            };
          };
        },
      }),
      close: async () => {},
    };
  },
};
