import { createDatabase } from '@redwire/launchers';
import { inject } from 'vitest';
import { uniquePrefix } from '../isolation';

export interface SharedTestServers {
  redisUrl: string;
  clusterNodes: { host: string; port: number }[];
  postgresAdminUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redwire: SharedTestServers;
  }
}

/** The shared servers started by the global setup. */
export function sharedServers(): SharedTestServers {
  return inject('redwire');
}

/** A fresh database on the shared PostgreSQL; call `drop()` in afterAll. */
export function freshDatabase() {
  return createDatabase(sharedServers().postgresAdminUrl, uniquePrefix('db'));
}
