import { ConfigError, env, loadConfig } from '@redwire/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z.object({
  NODE_ENV: env.oneOf(['development', 'test', 'production']).default('development'),
  PORT: env.port().default(8081),
  REDIS_URL: env.redisUrl(),
  DATABASE_URL: env.postgresUrl(),
  UPSTREAM_URL: env.httpUrl().optional(),
  POOL_SIZE: env.positiveInt(100).default(10),
  TIMEOUT: env.duration().default(250),
  TRACING: env.bool().default(false),
  ADMIN_EMAILS: env.list(z.email()).default([]),
  IDENTITY_SIGNING_KEY: env.secret(32),
});

const valid = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/app',
  IDENTITY_SIGNING_KEY: 'k'.repeat(32),
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('when only required keys are set, then defaults are applied', () => {
    const config = loadConfig(schema, valid);
    expect(config).toEqual({
      NODE_ENV: 'development',
      PORT: 8081,
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/app',
      POOL_SIZE: 10,
      TIMEOUT: 250,
      TRACING: false,
      ADMIN_EMAILS: [],
      IDENTITY_SIGNING_KEY: 'k'.repeat(32),
    });
  });

  it('when a key is an empty string, then it counts as unset and the default applies', () => {
    expect(loadConfig(schema, { ...valid, PORT: '' }).PORT).toBe(8081);
  });

  it('when values are given, then they are parsed into typed values', () => {
    const config = loadConfig(schema, {
      ...valid,
      NODE_ENV: 'production',
      PORT: '0',
      UPSTREAM_URL: 'https://user.internal:8081',
      POOL_SIZE: '100',
      TIMEOUT: '2m',
      TRACING: 'TRUE',
      ADMIN_EMAILS: ' a@example.com, ,b@example.com ',
    });
    expect(config).toMatchObject({
      NODE_ENV: 'production',
      PORT: 0,
      UPSTREAM_URL: 'https://user.internal:8081',
      POOL_SIZE: 100,
      TIMEOUT: 120_000,
      TRACING: true,
      ADMIN_EMAILS: ['a@example.com', 'b@example.com'],
    });
  });

  it('when several keys are bad, then one error lists every one of them without their values', () => {
    const err = configError(() =>
      loadConfig(schema, {
        NODE_ENV: 'staging',
        PORT: '70000',
        REDIS_URL: 'http://not-redis',
        POOL_SIZE: '0',
        TIMEOUT: '5 parsecs',
        TRACING: 'maybe',
        ADMIN_EMAILS: 'a@example.com,not-an-email',
        IDENTITY_SIGNING_KEY: 'short-secret-value',
      }),
    );
    expect(err.issues.map((i) => i.key).sort()).toEqual(
      [
        'ADMIN_EMAILS.1',
        'DATABASE_URL',
        'IDENTITY_SIGNING_KEY',
        'NODE_ENV',
        'POOL_SIZE',
        'PORT',
        'REDIS_URL',
        'TIMEOUT',
        'TRACING',
      ].sort(),
    );
    expect(err.issues.find((i) => i.key === 'DATABASE_URL')?.problem).toBe('is required');
    expect(err.message).toContain('9 problems');
    for (const key of ['PORT', 'REDIS_URL', 'IDENTITY_SIGNING_KEY', 'TIMEOUT'])
      expect(err.message).toContain(key);
    for (const value of ['short-secret-value', 'not-an-email', 'parsecs', 'not-redis', '70000', 'staging']) {
      expect(err.message).not.toContain(value);
      expect(JSON.stringify(err.issues)).not.toContain(value);
    }
  });

  it('when the schema is strict and an unknown key is present, then the error names it', () => {
    const err = configError(() => loadConfig(z.strictObject({ A: env.bool() }), { A: '1', TYPO_KEY: 'x' }));
    expect(err.issues).toEqual([{ key: 'TYPO_KEY', problem: 'unknown key' }]);
  });

  it('when loaded, then the config is deep-frozen', () => {
    const config = loadConfig(
      schema.transform((c) => ({ server: { port: c.PORT }, admins: c.ADMIN_EMAILS })),
      { ...valid, ADMIN_EMAILS: 'a@example.com' },
    );
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server)).toBe(true);
    expect(Object.isFrozen(config.admins)).toBe(true);
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('env helpers', () => {
  it.each([
    ['250ms', 250],
    ['250', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
  ])('when a duration is %s, then it is %d ms', (raw, ms) => {
    expect(env.duration().parse(raw)).toBe(ms);
  });

  it.each(['', '-5s', '5 s', 's', '5d', '1e3'])('when a duration is %j, then it is rejected', (raw) => {
    expect(env.duration().safeParse(raw).success).toBe(false);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['False', false],
    ['0', false],
  ])('when a boolean is %s, then it is %s', (raw, value) => {
    expect(env.bool().parse(raw)).toBe(value);
  });

  it('when a port is out of range or not an integer, then it is rejected', () => {
    for (const raw of ['65536', '-1', '80.5', 'http', ''])
      expect(env.port().safeParse(raw).success).toBe(false);
    expect(env.port().parse('65535')).toBe(65535);
  });

  it('when a URL has the wrong scheme or no host, then it is rejected', () => {
    expect(env.redisUrl().safeParse('rediss://cache:6380').success).toBe(true);
    expect(env.redisUrl().safeParse('postgres://x').success).toBe(false);
    expect(env.redisUrl().safeParse('redis://').success).toBe(false);
    expect(env.postgresUrl().safeParse('postgresql://u@db/app').success).toBe(true);
    expect(env.httpUrl().safeParse('ftp://x').success).toBe(false);
  });
});
