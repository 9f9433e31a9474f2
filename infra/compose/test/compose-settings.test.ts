import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { environmentOf, loadCompose } from './support/compose-model';
import { envExample, readRepoFile, repoPath, repoRoot } from './support/repo';
import { SERVICE_CONTRACTS, TOOL_CONTRACTS } from './support/service-contracts';
import { checkSettingsReachable, FIXED_SETTINGS, settingsRead } from './support/settings-passthrough';

// Every setting a service's config.ts reads can be given in .env (as <SERVICE>_<NAME>), except the few
// compose must own (FIXED_SETTINGS says why); passwords that compose splices into URLs are URL-safe.

const CONTRACTS = [...SERVICE_CONTRACTS, ...TOOL_CONTRACTS];
const composeText = () => readRepoFile('docker-compose.yml');
/** A compose environment line `KEY: ${VARIABLE:-}`. */
const passThrough = (key: string, variable: string) => `      ${key}: \${${variable}:-}\n`;
const contractOf = (name: string) => {
  const contract = CONTRACTS.find((c) => c.compose === name);
  if (!contract) throw new Error(`no contract for ${name}`);
  return contract;
};

describe('settings from .env', () => {
  it('when every setting each service’s config reads is looked up in compose, then each is fixed for a stated reason or comes from .env', () => {
    expect(checkSettingsReachable(composeText(), envExample(), CONTRACTS)).toEqual([]);
  });

  it('when the probe of what a config reads is asked about the user service, then it finds its optional settings too', () => {
    const env = environmentOf(loadCompose().value.services.user ?? {});
    const read = settingsRead(contractOf('user'), env);
    // Optional without a default: absent from the loaded config, found by probing.
    expect(read).toEqual(expect.arrayContaining(['CACHE_REDIS_URL', 'REDIS_NAMESPACE', 'USER_CACHE_TTL']));
    expect(read).not.toContain('OUTBOX_BATCH_SIZE');
  });

  it.each([
    [
      'a pass-through is dropped',
      passThrough('UPSTREAM_TIMEOUT', 'GATEWAY_UPSTREAM_TIMEOUT'),
      '',
      'gateway: UPSTREAM_TIMEOUT cannot be set from .env',
    ],
    [
      'a setting is pinned in compose',
      passThrough('ARGON2_TIME_COST', 'AUTH_ARGON2_TIME_COST'),
      '      ARGON2_TIME_COST: "2"\n',
      'auth: ARGON2_TIME_COST is fixed to "2" and not in FIXED_SETTINGS',
    ],
    [
      'a pass-through uses another service’s name',
      passThrough('OUTBOX_BATCH_SIZE', 'USER_WORKER_OUTBOX_BATCH_SIZE'),
      passThrough('OUTBOX_BATCH_SIZE', 'USER_OUTBOX_BATCH_SIZE'),
      'user-worker: OUTBOX_BATCH_SIZE comes from USER_OUTBOX_BATCH_SIZE, not USER_WORKER_OUTBOX_BATCH_SIZE or OUTBOX_BATCH_SIZE',
    ],
  ])('when %s, then the check names it', (_, from, to, expected) => {
    const text = composeText();
    expect(text).toContain(from);
    expect(checkSettingsReachable(text.replace(from, to), envExample(), CONTRACTS)).toContain(expected);
  });

  it('when settings are put in .env, then each service’s own config, loaded from compose’s environment, holds them and the rest keep their defaults', () => {
    const { value } = loadCompose(undefined, {
      ...envExample(),
      GATEWAY_UPSTREAM_TIMEOUT: '7s',
      USER_USER_CACHE_TTL: '10m',
      USER_WORKER_OUTBOX_BATCH_SIZE: '200',
      AUTH_ARGON2_TIME_COST: '3',
      QUEUE_DASHBOARD_READ_ONLY: 'true',
    });
    const load = (name: string) =>
      contractOf(name).load(environmentOf(value.services[name] ?? {})) as Record<string, unknown>;
    expect(load('gateway')).toMatchObject({ UPSTREAM_TIMEOUT: 7000 });
    expect(load('user')).toMatchObject({ USER_CACHE_TTL: 600_000, USER_CACHE_STALE: 60_000 });
    expect(load('user-worker')).toMatchObject({ OUTBOX_BATCH_SIZE: 200, ADMIN_PORT: 0 });
    expect(load('auth')).toMatchObject({ ARGON2_TIME_COST: 3 });
    expect(load('queue-dashboard')).toMatchObject({ QUEUE_DASHBOARD_READ_ONLY: true, ADMIN_HOST: '0.0.0.0' });
  });

  it('when FIXED_SETTINGS is read, then every entry says why', () => {
    for (const [key, reason] of Object.entries(FIXED_SETTINGS))
      expect(reason.length, key).toBeGreaterThan(20);
  });
});

describe('passwords spliced into URLs', () => {
  it('when compose builds a URL from a password variable, then .env.example’s value is URL-safe and .env.example says to generate such', () => {
    const spliced = [...composeText().matchAll(/:\/\/[^:@\s]+:\$\{(\w+)/g)].map((m) => m[1] as string);
    expect(new Set(spliced)).toEqual(
      new Set([
        'REDWIRE_DB_PASSWORD',
        'REDIS_USER_PASSWORD',
        'REDIS_AUTH_PASSWORD',
        'REDIS_GATEWAY_PASSWORD',
      ]),
    );
    for (const name of spliced) expect(envExample()[name], name).toMatch(/^[A-Za-z0-9._~-]+$/);
    expect(readRepoFile('.env.example')).toMatch(/URL-safe[\s\S]*openssl rand -hex 32/);
  });

  it('when a Redis password is not URL-safe, then set-acl-passwords refuses to write the ACL file', () => {
    const result = spawnSync(
      process.execPath,
      [repoPath('infra/redis/set-acl-passwords.mjs'), repoPath('infra/redis/users-cache.acl')],
      {
        encoding: 'utf8',
        env: {
          REDIS_USER_PASSWORD: 'p@ss/word#1',
          REDIS_HEALTHCHECK_PASSWORD: 'a'.repeat(32),
          REDIS_TOOLS_PASSWORD: 'b'.repeat(32),
        },
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('not URL-safe');
    expect(result.stderr).toContain('REDIS_USER_PASSWORD');
    expect(result.stdout).toBe('');
  });

  it('when the regenerated ACL files go to secrets/ as the README says, then git and the build context ignore them', () => {
    const ignored = spawnSync('git', ['check-ignore', '-q', 'secrets/users.acl'], { cwd: repoRoot });
    expect(ignored.status).toBe(0);
    for (const file of ['.dockerignore', 'infra/docker/Dockerfile.dockerignore']) {
      expect(readRepoFile(file).split('\n'), file).toContain('secrets');
    }
    expect(readRepoFile('README.md')).toMatch(
      /mkdir -p secrets[^\n]*\n[^\n]*set-acl-passwords\.mjs[^\n]*> secrets\//,
    );
  });
});
