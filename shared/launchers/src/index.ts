export {
  type BinaryDiscoveryOptions,
  MissingBinaryError,
  POSTGRES_BIN_DIR_VARIABLE,
  postgresBinDir,
  postgresBinDirCandidates,
  redisBinary,
} from './binaries';
export { type CreatedDatabase, createDatabase } from './create-database';
export { freeClusterPort, freePort, isPortFree } from './free-port';
export { answers200, type ReadyOptions, waitForReady } from './http-ready';
export {
  describeExit,
  isRunning,
  type ManagedProcess,
  type ManagedSpawnOptions,
  type ProcessExit,
  spawnManaged,
  stopProcess,
  waitUntilUp,
  withPortRetry,
} from './managed-process';
export { type NodeService, type NodeServiceOptions, startNodeService } from './node-service';
export { type PollOptions, pollUntil } from './poll-until';
export { type PostgresServer, type PostgresServerOptions, startPostgresServer } from './postgres-server';
export { processTree, signalProcessTree } from './process-tree';
export {
  type RedisCluster,
  type RedisClusterNode,
  type RedisClusterOptions,
  startRedisCluster,
} from './redis-cluster';
export {
  ping as pingRedis,
  type RedisServer,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server';
