import { assertNoDevSecrets, ConfigError } from '@redwire/config';
import { describe, expect, it } from 'vitest';

const devValues = ['dev-only-identity-key-change-me-0123456789', 'redwire-dev-password'];

const config = {
  identity: { signingKey: 'dev-only-identity-key-change-me-0123456789' },
  redis: { url: 'redis://app:redwire-dev-password@127.0.0.1:6390' },
  postgres: { url: 'postgres://redwire:s3cure-Prod-Pa55@db/redwire' },
  cookieSecrets: ['prod-secret-aaaaaaaa', 'dev-only-old-cookie-secret'],
};

describe('assertNoDevSecrets', () => {
  it('when outside production the operator allows them, then development values are accepted', () => {
    expect(() =>
      assertNoDevSecrets(config, { production: false, allowDevSecrets: true, devValues }),
    ).not.toThrow();
  });

  it('when outside production nobody allowed them, then development values are refused and the opt-in is named', () => {
    for (const allowDevSecrets of [undefined, false]) {
      let error: unknown;
      try {
        assertNoDevSecrets(config, {
          production: false,
          devValues,
          ...(allowDevSecrets === false ? { allowDevSecrets } : {}),
        });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).issues.map((i) => i.key)).toEqual([
        'identity.signingKey',
        'redis.url',
        'cookieSecrets.1',
      ]);
      expect((error as ConfigError).message).toContain('ALLOW_DEV_SECRETS=true');
    }
  });

  it('when in production, then the opt-in does not let development values through', () => {
    expect(() => assertNoDevSecrets(config, { production: true, allowDevSecrets: true, devValues })).toThrow(
      /in production/,
    );
  });

  it('when in production with development values, then every offending path is listed without values', () => {
    let error: unknown;
    try {
      assertNoDevSecrets(config, { production: true, devValues });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const err = error as ConfigError;
    expect(err.issues.map((i) => i.key)).toEqual(['identity.signingKey', 'redis.url', 'cookieSecrets.1']);
    expect(err.message).not.toContain('redwire-dev-password');
    expect(err.message).not.toContain('dev-only-identity');
  });

  it('when in production with real secrets only, then it passes', () => {
    const prod = { identity: { signingKey: 'x'.repeat(48) }, port: 8080, flags: [true] };
    expect(() => assertNoDevSecrets(prod, { production: true, devValues })).not.toThrow();
  });

  it('when a development value is shorter than 8 characters, then the guard refuses it as too broad', () => {
    expect(() =>
      assertNoDevSecrets({}, { production: false, allowDevSecrets: true, devValues: ['dev'] }),
    ).toThrow(TypeError);
  });
});
