import { describe, expect, it } from 'vitest';
import { type ServiceSpec, withInstances } from '../src/service-specs';
import { readStackConfig } from '../src/stack-config';

const spec = (name: string, env: Record<string, string>): ServiceSpec => ({ name, entry: `${name}.js`, env });

describe('REDWIRE_INSTANCES', () => {
  it('when it is unset, then one instance runs; when it is not a whole number from 1 to 16, then the config is refused', () => {
    expect(readStackConfig({}).instances).toBe(1);
    expect(readStackConfig({ REDWIRE_INSTANCES: '3' }).instances).toBe(3);
    for (const raw of ['0', '17', '1.5', 'two'])
      expect(() => readStackConfig({ REDWIRE_INSTANCES: raw }), raw).toThrow(/REDWIRE_INSTANCES must be/);
  });

  it('when there is a second instance, then gateway-2 calls user-2 and auth-2, auth-2 calls user-2, and every gateway knows there are two', () => {
    const specs = withInstances(
      [
        spec('user', { PORT: '8081' }),
        spec('user-worker', { METRICS_PORT: '9091' }),
        spec('auth', { PORT: '8082', USER_SERVICE_URL: 'http://127.0.0.1:8081' }),
        spec('gateway', { PORT: '8080', RATE_LIMIT_INSTANCES: '1' }),
      ],
      [{ port: 7000, adminPort: 7001, userPort: 7002, authPort: 7003, workerMetricsPort: 7004 }],
    );
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect([...byName.keys()]).toEqual([
      'user',
      'user-worker',
      'auth',
      'gateway',
      'user-2',
      'user-worker-2',
      'auth-2',
      'gateway-2',
    ]);
    expect(byName.get('gateway-2')?.env).toMatchObject({
      PORT: '7000',
      ADMIN_PORT: '7001',
      USER_SERVICE_URL: 'http://127.0.0.1:7002',
      AUTH_SERVICE_URL: 'http://127.0.0.1:7003',
      RATE_LIMIT_INSTANCES: '2',
    });
    expect(byName.get('gateway')?.env.RATE_LIMIT_INSTANCES).toBe('2');
    expect(byName.get('auth-2')?.env).toMatchObject({
      PORT: '7003',
      USER_SERVICE_URL: 'http://127.0.0.1:7002',
    });
    expect(byName.get('user-2')?.env.PORT).toBe('7002');
    expect(byName.get('user-worker-2')?.readyUrl).toBe('http://127.0.0.1:7004/healthz');
  });
});
