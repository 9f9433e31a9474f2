import { describe, expect, it } from 'vitest';
import { serviceEnvironment } from '../src/service-environment';

describe('serviceEnvironment', () => {
  it('when a service instance starts, then its process name is the OTel service.instance.id, and a resource attribute the environment sets is kept and wins', () => {
    expect(serviceEnvironment({}, {}, 'gateway-2').OTEL_RESOURCE_ATTRIBUTES).toBe(
      'service.instance.id=gateway-2',
    );
    const passed = { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=dev,service.instance.id=mine' };
    // The OTel env detector takes the last value of a repeated key: the environment's comes last.
    expect(serviceEnvironment(passed, {}, 'user').OTEL_RESOURCE_ATTRIBUTES).toBe(
      'service.instance.id=user,deployment.environment=dev,service.instance.id=mine',
    );
  });

  it('when the environment sets a setting the runner owns, then the runner’s value reaches the service', () => {
    const env = serviceEnvironment({ PORT: '1', LOG_LEVEL: 'debug' }, { PORT: '8080' }, 'gateway');
    expect(env).toMatchObject({ PORT: '8080', LOG_LEVEL: 'debug', NODE_ENV: 'development' });
  });
});
