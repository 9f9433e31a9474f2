import type { BenchSettings } from '../core/bench.types';
import { type CaseSession, prepareAll, type ThroughputCase, type ThroughputRunner } from '../core/case.types';
import { type HttpLoadRequest, runHttpLoad } from '../core/http-load.driver';
import { seedUsers, sharedUserRuntime, userEntries, userServiceEnv } from '../parts/user.part';

/** An autocannon runner for one request shape. */
export function httpRunner(request: HttpLoadRequest, settings: BenchSettings): ThroughputRunner {
  return (durationMs) => runHttpLoad(request, { connections: settings.connections, durationMs });
}

export const httpDriver = (s: BenchSettings) =>
  `autocannon, ${s.connections} keep-alive connections, each server in its own process`;

/** GET /users/:id answered by the user service from its cache, against the naive Express route. */
export const userReadCase: ThroughputCase = {
  kind: 'throughput',
  id: 'user-read',
  title: 'User read through the service (GET /users/:id, cache hit)',
  unit: 'req/s',
  driver: httpDriver,
  baseline: 'bare-get',
  notes: [
    'One hot user, anonymous GET (no identity token): every request is a cache hit.',
    'The user service runs from services/user/dist/main.js with production settings (NODE_ENV=production, LOG_LEVEL=error: request logging off, no OTel preload); its middleware (request id, metrics, pino-http) is part of what is measured.',
    'Express, not Redis, is the ceiling of an Express service on this machine (docs/measurements.md).',
  ],
  variants: [
    {
      id: 'bare-get',
      label: 'bare Express route, one GET',
      role: 'baseline',
      description: 'Express 5 route: ioredis GET, JSON.parse, res.json.',
    },
    {
      id: 'user-service',
      label: 'redwire user service (L2)',
      role: 'redwire',
      description: 'The user service process, defaults (L1 off).',
    },
    {
      id: 'user-service-l1',
      label: 'redwire user service (L1+L2)',
      role: 'redwire',
      description: 'The user service process with USER_CACHE_L1=true.',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    const entries = userEntries();
    if (!entries.main || !stack.databaseUrl) {
      const reason = `user service not built (${entries.missing ?? stack.databaseMissing})`;
      return {
        variants: Object.fromEntries(userReadCase.variants.map((v) => [v.id, { missing: reason }])),
        close: async () => {},
      };
    }
    const main = entries.main;
    const [id] = await seedUsers(stack);
    if (!id) throw new Error('no seeded user');
    const runtime = await sharedUserRuntime(stack);
    const read = await runtime.cache.get(id);
    const plain = stack.plainRedis();
    await plain.set('bench:bare-get:user', JSON.stringify(read.value), 'EX', 3600);

    const service = async (l1: boolean) => {
      const { url } = await stack.startService(`user service${l1 ? ' (L1)' : ''}`, main, (port) =>
        userServiceEnv(stack, { PORT: String(port), USER_CACHE_L1: l1 ? 'true' : 'false' }),
      );
      const response = await fetch(`${url}/users/${id}`);
      if (response.status !== 200) throw new Error(`GET /users/:id answered ${response.status}`);
      return httpRunner({ url: `${url}/users/${id}` }, settings);
    };

    return {
      variants: await prepareAll({
        'bare-get': async () => {
          const { url } = await stack.startTarget('redis-get', {
            redisUrl: stack.redisUrl,
            key: 'bench:bare-get:user',
          });
          return httpRunner({ url: `${url}/users/${id}` }, settings);
        },
        'user-service': () => service(false),
        'user-service-l1': () => service(true),
      }),
      close: async () => {},
    };
  },
};
