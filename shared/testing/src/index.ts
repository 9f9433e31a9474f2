export { MissingBinaryError, postgresBinDir, redisBinary } from './binaries';
export { countRedisClients, freeze, killRedisClients, pauseRedis, sleepRedis, thaw } from './faults';
export { freeClusterPort, freePort, isPortFree } from './free-port';
export { createDatabase, testPool, uniquePrefix } from './isolation';
export {
  decodeOtlpJson,
  type OtlpReceiver,
  type ReceivedExport,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver';
export { type PostgresServer, type PostgresServerOptions, startPostgresServer } from './postgres-server';
export type { ProcessExit } from './process-handle';
export { processTree, signalProcessTree } from './process-tree';
export { PROTOTYPE_KEYS } from './prototype-keys';
export {
  chunked,
  jsonOf,
  parseResponses,
  RawConnection,
  type RawExchange,
  type RawExchangeOptions,
  type RawResponse,
  rawExchange,
  rawRequest,
} from './raw-http';
export { type RedisCluster, type RedisClusterNode, startRedisCluster } from './redis-cluster';
export {
  ping as pingRedis,
  type RedisServer,
  type RedisServerOptions,
  startRedisServer,
} from './redis-server';
export { type ServerTiming, trackResponseTimes } from './response-times';
