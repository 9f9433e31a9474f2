import fs from 'node:fs';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  type AuthRuntime,
  createAuthRuntime,
  loadAuthConfig,
  runMigrations as migrateAuth,
} from '@redwire/auth';
import { type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import { waitForReady } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { createUserRuntime, loadServiceConfig, runMigrations as migrateUser } from '@redwire/user';
import { loadGatewayConfig } from '../../../src/config';
import { createGatewayRuntime, type GatewayRuntime } from '../../../src/gateway.runtime';
import type { PolicyInput } from '../../../src/ratelimit';
import { DEFAULT_POLICIES } from '../../../src/ratelimit/default-policies';

const SIGNING_KEY = 'adversarial-identity-signing-key-0123456789';
const silent = (service: string) => createLogger({ service, level: 'silent' });

/** Options of {@link startRealStack}. */
export interface RealStackOptions {
  /** Policies of the gateway. @default the built-in set with every quota ×1000 (same names and matches) */
  readonly policies?: readonly PolicyInput[];
  /** Extra gateway environment (bounds, timeouts). */
  readonly gatewayEnv?: Readonly<Record<string, string>>;
}

/** A request as a service received it (its line and headers), recorded before the service handles it. */
export interface ServedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** The gateway in front of the real user and auth services, each on its own port. */
export interface RealStack {
  /** The gateway's public URL. */
  readonly url: string;
  readonly port: number;
  readonly userUrl: string;
  readonly authUrl: string;
  readonly gateway: GatewayRuntime;
  /** The auth service's object graph (e.g. to grant an admin as the operator's CLI does). */
  readonly auth: AuthRuntime;
  /** Every request each service received, in arrival order. */
  readonly served: { readonly user: ServedRequest[]; readonly auth: ServedRequest[] };
  stop(): Promise<void>;
}

/** `listener`, recording each request into `into` first. */
function recording(listener: RequestListener, into: ServedRequest[]): RequestListener {
  return (req, res) => {
    into.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    listener(req, res);
  };
}

/**
 * The built-in policies with quotas a test never reaches: the `match` rules (methods, paths) stay as
 * shipped, so `RateLimit-Policy` still names the policies a request got.
 */
export function roomyPolicies(policies: readonly PolicyInput[] = DEFAULT_POLICIES): PolicyInput[] {
  return policies.map((p) => ({
    ...p,
    limit: p.limit * 1000,
    ...(p.burst !== undefined ? { burst: p.burst * 1000 } : {}),
  }));
}

/**
 * user, auth and the gateway in-process, built by their own runtime factories as their main.ts builds
 * them, on real Redis (the shared server, a fresh namespace) and a fresh PostgreSQL database.
 */
export async function startRealStack(options: RealStackOptions = {}): Promise<RealStack> {
  const closers: (() => Promise<unknown>)[] = [];
  const served = { user: [] as ServedRequest[], auth: [] as ServedRequest[] };
  const serve = async (listener: Parameters<typeof startHttpServer>[0]): Promise<RunningHttpServer> => {
    const server = await startHttpServer(listener, { port: 0 });
    closers.unshift(() => server.close(1000));
    return server;
  };
  try {
    const db = await freshDatabase();
    closers.push(() => db.drop());
    await migrateUser({ databaseUrl: db.url });
    await migrateAuth({ databaseUrl: db.url });
    const namespace = uniquePrefix('adv');
    const common = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      REDIS_URL: sharedServers().redisUrl,
      REDIS_NAMESPACE: namespace,
      IDENTITY_SIGNING_KEY: SIGNING_KEY,
      // Generous deadlines: this is about framing and routing on a shared 2-core machine, not latency.
      REDIS_COMMAND_TIMEOUT: '2000',
      DB_CONNECT_TIMEOUT: '5000',
    };

    const user = createUserRuntime(loadServiceConfig(common), { logger: silent('redwire-user') });
    closers.unshift(() => user.close());
    await user.start();
    await user.cache.ready(30_000);
    const userServer = await serve(recording(user.app, served.user));

    const auth = createAuthRuntime(
      loadAuthConfig({ ...common, USER_SERVICE_URL: userServer.url, USER_SERVICE_TIMEOUT: '5000' }),
      { logger: silent('redwire-auth') },
    );
    closers.unshift(() => auth.close());
    await auth.start();
    const authServer = await serve(recording(auth.app, served.auth));

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-policies-'));
    closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const policyFile = path.join(dir, 'policies.json');
    fs.writeFileSync(policyFile, JSON.stringify({ policies: options.policies ?? roomyPolicies() }));
    const gateway = createGatewayRuntime(
      loadGatewayConfig({
        ...common,
        USER_SERVICE_URL: userServer.url,
        AUTH_SERVICE_URL: authServer.url,
        RATE_LIMIT_POLICIES_FILE: policyFile,
        RATE_LIMIT_DEADLINE: '2000',
        SESSION_CHECK_DEADLINE: '2000',
        ...options.gatewayEnv,
      }),
      { logger: silent('redwire-gateway') },
    );
    closers.unshift(() => gateway.close());
    await waitForReady(gateway.redis, 5000);
    await gateway.start();
    const gatewayServer = await startHttpServer(gateway.app.handler, {
      ...gateway.app.publicServer,
      port: 0,
    });
    closers.unshift(() => gatewayServer.close(1000));
    return {
      url: gatewayServer.url,
      port: gatewayServer.port,
      userUrl: userServer.url,
      authUrl: authServer.url,
      gateway,
      auth,
      served,
      async stop() {
        for (const close of closers.splice(0)) await close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => undefined);
    throw error;
  }
}
