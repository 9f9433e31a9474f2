// The gateway process as the suite drives it: services/gateway/dist/main.js with the environment the local
// stack runner sets, a bench policy file, and a real session created through @redwire/sessions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@redwire/launchers';
import { newRoutingTag, SESSION_COOKIE_NAME, SessionStore } from '@redwire/sessions';
import { MissingPartError } from '../core/case.types';
import { promCounter } from '../core/prom-text';
import { type BenchStack, compiled } from '../stack/bench-stack';
import { closeClient, readyRequestClient } from './request-client';

const NAMESPACE = 'bench-gw';

/**
 * Two policies for every signed-in request, as the default set has (per-IP ceiling + per-user by tier),
 * with quotas no benchmark reaches: each request pays a full Redis decision, never a 429.
 */
const BENCH_POLICIES = {
  policies: [
    { name: 'ip', identity: 'ip', limit: 1_000_000, period: 1, onRedisError: 'open' },
    { name: 'user-free', identity: 'user', tiers: ['free'], limit: 1_000_000, period: 1 },
  ],
};

/** A running gateway and the headers of a signed-in request through it. */
export interface RunningGateway {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The gateway process's pid (for CPU accounting). */
  readonly pid: number | undefined;
  /** Rate-limit decisions made without Redis so far (deadline missed, breaker open): read from /metrics. */
  degradedDecisions(): Promise<number>;
}

/** Starts services/gateway/dist/main.js in front of `backendUrl` (as user and auth); MissingPartError if not built. */
export async function startGateway(stack: BenchStack, backendUrl: string): Promise<RunningGateway> {
  const main = compiled('services/gateway', 'dist/main.js');
  if (!main) throw new MissingPartError('services/gateway/dist/main.js (gateway not built)');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-bench-'));
  const policyFile = path.join(dir, 'policies.json');
  fs.writeFileSync(policyFile, JSON.stringify(BENCH_POLICIES));
  stack.onClose(async () => fs.rmSync(dir, { recursive: true, force: true }));

  const adminPort = await freePort();
  const { url, service } = await stack.startService('gateway', main, (port) => ({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_PORT: String(adminPort),
    // Access logs would measure pino and the pipe, not the gateway.
    LOG_LEVEL: 'error',
    REDIS_URL: stack.redisUrl,
    REDIS_NAMESPACE: NAMESPACE,
    IDENTITY_SIGNING_KEY: stack.identityKey,
    USER_SERVICE_URL: backendUrl,
    AUTH_SERVICE_URL: backendUrl,
    RATE_LIMIT_POLICIES_FILE: policyFile,
    // One session on 50 connections from one address is one client holding 50 requests at once: lift the
    // per-client bounds as the quotas are lifted (their accounting still runs on every request).
    MAX_IN_FLIGHT_PER_CLIENT: '100000',
    MAX_CONNECTIONS_PER_CLIENT: '100000',
  }));

  const redis = await readyRequestClient(stack.redisUrl, 'bench-auth');
  try {
    const store = new SessionStore({ redis, namespace: NAMESPACE });
    const created = await store.create(
      {
        userId: '0195f1c2-7a3b-7cde-8f01-23456789abcd',
        tag: newRoutingTag(),
        authVersion: 1,
        revision: 1,
        role: 'user',
        tier: 'free',
      },
      { userAgent: 'autocannon', ip: '127.0.0.1' },
    );
    if (!created.created) throw new Error(`session not created: ${created.reason}`);
    return {
      url,
      pid: service.pid,
      headers: { cookie: `${SESSION_COOKIE_NAME}=${created.token}` },
      async degradedDecisions() {
        const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
        return promCounter(text, 'gateway_ratelimit_degraded_total', {});
      },
    };
  } finally {
    await closeClient(redis);
  }
}
