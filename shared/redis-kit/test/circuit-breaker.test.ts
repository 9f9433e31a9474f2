import { ReplyError } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  CircuitOpenError,
  DeadlineExceededError,
  InvalidOptionsError,
  isRedisUnavailableError,
  ValueTooLargeError,
} from '../src/index';
import { eventually, useRedis } from './support/topologies';

const down = () => Promise.reject(new Error('Command timed out'));
const up = () => Promise.resolve('ok');

describe('CircuitBreaker', () => {
  const redis = useRedis('single');
  const breakers: CircuitBreaker[] = [];
  afterEach(() => {
    for (const b of breakers.splice(0)) b.shutdown();
  });
  function breaker(options: Partial<CircuitBreakerOptions> = {}) {
    const b = new CircuitBreaker({ name: 'test', minimumCalls: 4, openDurationMs: 150, ...options });
    breakers.push(b);
    return b;
  }
  async function fail(b: CircuitBreaker, times: number) {
    for (let i = 0; i < times; i++) await b.run(down).catch(() => {});
  }

  it('when calls succeed, then results pass through and it stays closed', async () => {
    const b = breaker();
    expect(await b.run(up)).toBe('ok');
    expect(b.state).toBe('closed');
  });

  it('when fewer than minimumCalls failed, then it stays closed', async () => {
    const b = breaker();
    await fail(b, 3);
    expect(b.state).toBe('closed');
  });

  it('when failures slide out of the rolling window, then they no longer count', async () => {
    const b = breaker({ windowMs: 200, windowBuckets: 4 });
    await fail(b, 3);
    await new Promise((r) => setTimeout(r, 300));
    await fail(b, 3);
    expect(b.state).toBe('closed');
    await fail(b, 1);
    expect(b.state).toBe('open');
  });

  it('when successes keep the failure rate at or under the threshold, then it stays closed', async () => {
    const b = breaker({ failureThresholdPercentage: 50 });
    for (let i = 0; i < 5; i++) {
      await b.run(up);
      await b.run(down).catch(() => {});
    }
    expect(b.state).toBe('closed');
  });

  it('when failures pass the threshold, then it opens and rejects without calling', async () => {
    const registry = new Registry();
    const b = breaker({ registry, name: 'user-cache' });
    await fail(b, 4);
    expect(b.state).toBe('open');
    let called = false;
    await expect(
      b.run(async () => {
        called = true;
      }),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    expect(await registry.metrics()).toContain('redwire_circuit_breaker_state{name="user-cache"} 2');
  });

  it('when the open duration passes, then exactly one probe goes through and its success closes it', async () => {
    const registry = new Registry();
    const b = breaker({ registry });
    await fail(b, 4);
    await eventually(() => b.state === 'half-open', 2000, 10);
    expect(await registry.metrics()).toContain('redwire_circuit_breaker_state{name="test"} 1');
    let release!: () => void;
    const probe = b.run(() => new Promise<string>((r) => (release = () => r('probe'))));
    await expect(b.run(up)).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    expect(await probe).toBe('probe');
    expect(b.state).toBe('closed');
    expect(await registry.metrics()).toContain('redwire_circuit_breaker_state{name="test"} 0');
  });

  it('when the probe fails, then it opens again', async () => {
    const b = breaker();
    await fail(b, 4);
    await eventually(() => b.state === 'half-open', 2000, 10);
    await b.run(down).catch(() => {});
    expect(b.state).toBe('open');
  });

  it('when Redis answers with a command error, then the breaker does not count it', async () => {
    const client = await redis.client();
    const key = redis.keys.key('breaker', 'wrongtype');
    await client.set(key, 'a string', 'PX', 60_000);
    const b = breaker();
    for (let i = 0; i < 10; i++)
      await expect(b.run(() => client.lpush(key, 'x'))).rejects.toThrow(/WRONGTYPE/);
    expect(b.state).toBe('closed');
  });

  it('when classifying errors, then only unavailability counts', () => {
    expect(isRedisUnavailableError(new Error('Command timed out'))).toBe(true);
    expect(
      isRedisUnavailableError(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe(true);
    expect(isRedisUnavailableError(new ReplyError('LOADING Redis is loading the dataset in memory'))).toBe(
      true,
    );
    expect(isRedisUnavailableError(new ReplyError('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(isRedisUnavailableError(new ReplyError('WRONGTYPE Operation against a key'))).toBe(false);
    expect(isRedisUnavailableError(new ValueTooLargeError(10, 5))).toBe(false);
    // One classification for breakers and request paths: a deadline or an open breaker is an outage, a bug is not.
    expect(isRedisUnavailableError(new DeadlineExceededError(50))).toBe(true);
    expect(isRedisUnavailableError(new CircuitOpenError('x'))).toBe(true);
    expect(isRedisUnavailableError(new ReplyError('OOM command not allowed'))).toBe(true);
    expect(isRedisUnavailableError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(
      false,
    );
    expect(isRedisUnavailableError('not an error')).toBe(false);
  });

  it('when two breakers share a registry, then each has its own label', async () => {
    const registry = new Registry();
    breaker({ registry, name: 'a' });
    breaker({ registry, name: 'b' });
    const text = await registry.metrics();
    expect(text).toContain('redwire_circuit_breaker_state{name="a"} 0');
    expect(text).toContain('redwire_circuit_breaker_state{name="b"} 0');
  });

  it('when options are invalid, then the constructor lists them', () => {
    expect(() => new CircuitBreaker({ name: 'x', windowMs: 1000, windowBuckets: 7 })).toThrow(
      InvalidOptionsError,
    );
    expect(() => new CircuitBreaker({ name: '', failureThresholdPercentage: 0 })).toThrow(
      /name.*failureThreshold/,
    );
  });
});
