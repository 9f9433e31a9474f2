import { loadAuthConfig, loadMigrateConfig as loadAuthMigrateConfig } from '@redwire/auth';
import type { Env } from '@redwire/config';
import { loadGatewayConfig } from '@redwire/gateway';
import {
  loadQueuesConfig,
  loadServiceConfig,
  loadMigrateConfig as loadUserMigrateConfig,
  loadWorkerConfig,
} from '@redwire/user';

/** Where compose probes a service's health and Prometheus scrapes it: a config key naming the port, and paths. */
export interface HttpSurface {
  /** The config key whose value is the port (`PORT`, `ADMIN_PORT`, `METRICS_PORT`). */
  readonly portKey: string;
  /** What the compose healthcheck requests. */
  readonly health: string;
  /** What Prometheus scrapes; none for a tool Prometheus does not scrape. */
  readonly metrics?: string;
}

/** What one compose service must agree with: the service's own config loader and what it serves. */
export interface ServiceContract {
  /** The compose service name (also its host name on the compose network). */
  readonly compose: string;
  /** The service's config loader (`config.ts`), the only place it reads its environment. */
  readonly load: (env: Env) => object;
  /** The image's `SERVICE` build argument. */
  readonly image: 'gateway' | 'user' | 'auth';
  /** The compiled entry point it runs (relative to the image's working directory). */
  readonly entry: 'dist/main.js' | 'dist/worker.js' | 'dist/migrate.js' | 'dist/queues.js';
  /** `service.name` (docs/api.md "Operations"); one-shot migrations export no telemetry. */
  readonly serviceName?: string;
  readonly http?: HttpSurface;
  /** The config key of the port published to the host. */
  readonly publishedPortKey?: string;
  /** The ACL user its Redis URLs must authenticate as. */
  readonly redisUser?: string;
}

/** Every Node service of docker-compose.yml and what it must agree with. */
export const SERVICE_CONTRACTS: readonly ServiceContract[] = [
  {
    compose: 'gateway',
    load: loadGatewayConfig,
    image: 'gateway',
    entry: 'dist/main.js',
    serviceName: 'redwire-gateway',
    http: { portKey: 'ADMIN_PORT', health: '/readyz', metrics: '/metrics' },
    publishedPortKey: 'PORT',
    redisUser: 'gateway',
  },
  {
    compose: 'user',
    load: loadServiceConfig,
    image: 'user',
    entry: 'dist/main.js',
    serviceName: 'redwire-user',
    http: { portKey: 'PORT', health: '/readyz', metrics: '/metrics' },
    redisUser: 'user',
  },
  {
    compose: 'user-worker',
    load: loadWorkerConfig,
    image: 'user',
    entry: 'dist/worker.js',
    serviceName: 'redwire-user-worker',
    // The worker serves no /readyz: liveness plus metrics on METRICS_PORT.
    http: { portKey: 'METRICS_PORT', health: '/healthz', metrics: '/metrics' },
    redisUser: 'user',
  },
  {
    compose: 'auth',
    load: loadAuthConfig,
    image: 'auth',
    entry: 'dist/main.js',
    serviceName: 'redwire-auth',
    http: { portKey: 'PORT', health: '/readyz', metrics: '/metrics' },
    redisUser: 'auth',
  },
  { compose: 'user-migrate', load: loadUserMigrateConfig, image: 'user', entry: 'dist/migrate.js' },
  { compose: 'auth-migrate', load: loadAuthMigrateConfig, image: 'auth', entry: 'dist/migrate.js' },
];

/**
 * The `tools` profile's Node service: the queue dashboard alone. Kept apart from SERVICE_CONTRACTS, which
 * the `npm start` stack and the Kubernetes manifests mirror; it runs in compose only.
 */
export const TOOL_CONTRACTS: readonly ServiceContract[] = [
  {
    compose: 'queue-dashboard',
    load: loadQueuesConfig,
    image: 'user',
    entry: 'dist/queues.js',
    http: { portKey: 'ADMIN_PORT', health: '/healthz' },
    publishedPortKey: 'ADMIN_PORT',
    redisUser: 'user',
  },
];
