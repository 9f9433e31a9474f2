import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { newRoutingTag, type SessionAccount, SessionStore } from '@redwire/sessions';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { loadGatewayConfig } from '../../src/config';
import {
  createGatewayRuntime,
  type GatewayRuntime,
  type GatewayRuntimeOverrides,
} from '../../src/gateway.runtime';
import type { PolicyInput } from '../../src/ratelimit';
import { UpstreamStub } from './upstream-stub';

export const SIGNING_KEY = 'gateway-test-identity-signing-key-0123456789';

/** Options of {@link startGatewayStack}. */
export interface GatewayStackOptions {
  /** Policies written to a policy file; default: the built-in set. */
  readonly policies?: readonly PolicyInput[];
  /** Extra environment (e.g. RATE_LIMIT_DENY_CACHE_SIZE=0). */
  readonly env?: Record<string, string>;
  /** Share the Redis namespace (and so the limits and sessions) of another stack. @default a fresh one */
  readonly namespace?: string;
  /** Redis to use; default: the shared server. */
  readonly redisUrl?: string;
  readonly overrides?: GatewayRuntimeOverrides;
}

/** A gateway in-process on port 0 in front of two upstream stubs, with a session store to mint tokens. */
export interface GatewayStack {
  readonly url: string;
  readonly adminUrl: string;
  readonly runtime: GatewayRuntime;
  readonly user: UpstreamStub;
  readonly auth: UpstreamStub;
  readonly namespace: string;
  /** Creates an account state and a session; returns its bearer token. */
  login(account?: Partial<SessionAccount>): Promise<{ token: string; account: SessionAccount }>;
  readonly sessions: SessionStore;
  stop(): Promise<void>;
}

export async function startGatewayStack(options: GatewayStackOptions = {}): Promise<GatewayStack> {
  const user = new UpstreamStub();
  const auth = new UpstreamStub();
  const [userUrl, authUrl] = await Promise.all([user.start(), auth.start()]);
  const namespace = options.namespace ?? uniquePrefix('gw');
  const redisUrl = options.redisUrl ?? sharedServers().redisUrl;
  let policyFile: string | undefined;
  if (options.policies) {
    policyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gw-policies-')), 'policies.json');
    fs.writeFileSync(policyFile, JSON.stringify({ policies: options.policies }));
  }
  const config = loadGatewayConfig({
    REDIS_URL: redisUrl,
    REDIS_NAMESPACE: namespace,
    IDENTITY_SIGNING_KEY: SIGNING_KEY,
    USER_SERVICE_URL: userUrl,
    AUTH_SERVICE_URL: authUrl,
    PORT: '0',
    ADMIN_PORT: '0',
    // Generous deadlines: the CPU is shared with other suites. Outage tests set their own.
    RATE_LIMIT_DEADLINE: '1000',
    SESSION_CHECK_DEADLINE: '1000',
    ...(policyFile ? { RATE_LIMIT_POLICIES_FILE: policyFile } : {}),
    ...options.env,
  });
  const runtime = createGatewayRuntime(config, {
    logger: createLogger({ service: 'redwire-gateway', level: 'silent' }),
    ...options.overrides,
  });
  await runtime.start();
  const servers: RunningHttpServer[] = [
    await startHttpServer(runtime.app.handler, { ...runtime.app.publicServer, port: 0 }),
    await startHttpServer(runtime.app.admin, { port: 0 }),
  ];
  const sessionRedis: RedisClient = createRedisClient({
    url: redisUrl,
    service: 'gateway-test',
    commandTimeoutMs: 5000,
  });
  const sessions = new SessionStore({ redis: sessionRedis, namespace });
  return {
    url: (servers[0] as RunningHttpServer).url,
    adminUrl: (servers[1] as RunningHttpServer).url,
    runtime,
    user,
    auth,
    namespace,
    sessions,
    async login(overrides = {}) {
      const account: SessionAccount = {
        userId: crypto.randomUUID(),
        tag: newRoutingTag(),
        authVersion: 1,
        revision: 1,
        role: 'user',
        tier: 'free',
        ...overrides,
      };
      await waitForReady(sessionRedis, 5000);
      const result = await sessions.create(account, { userAgent: 'test' });
      if (!result.created) throw new Error('session not created');
      return { token: result.token, account };
    },
    async stop() {
      if (policyFile) fs.rmSync(path.dirname(policyFile), { recursive: true, force: true });
      await Promise.all(servers.map((s) => s.close(1000)));
      await runtime.close();
      sessionRedis.disconnect();
      await Promise.all([user.stop(), auth.stop()]);
    },
  };
}
