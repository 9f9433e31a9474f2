// Connections

// The one deadline helper lives in @redwire/deadline; re-exported for the Redis call sites that use it.
export { DeadlineExceededError, withDeadline } from '@redwire/deadline';
export type { Cluster, Redis } from 'ioredis';
// Keys
export { Coalescer, type CoalescerOptions } from './batching/coalescer';
// Circuit breaker
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './breaker/circuit-breaker';
// Codec
export {
  type CodecOptions,
  createCodec,
  type Decoded,
  type MissReason,
  ValueCodec,
} from './codec/value.codec';
export {
  connectionName,
  createRedisClient,
  isCluster,
  type RedisClient,
  type RedisClientKind,
  type RedisClientOptions,
  type RedisClientSettings,
  type RedisRole,
} from './connection/redis-client.factory';
export { RedisConnections, type RedisConnectionsOptions } from './connection/redis-connections';
export {
  checkRedis,
  type RedisHealth,
  type RedisHealthOptions,
  waitForReady,
} from './connection/redis-health';
export { type RedisNodeAddress, type RedisTarget, redactTarget } from './connection/redis-target';
export { isRedisUnavailableError } from './connection/redis-unavailable';
// Errors and telemetry names
export {
  CircuitOpenError,
  CrossSlotError,
  IdempotencyInProgressError,
  InvalidKeyError,
  InvalidOptionsError,
  RedisKitError,
  type RedisKitErrorCode,
  ScriptReplyError,
  ValueTooLargeError,
} from './errors';
// Options validation, for packages built on this one (one InvalidOptionsError listing every problem)
export { functionSchema, redisClientSchema, registrySchema, resolveOptions } from './internal/options';
export { assertSameSlot, hashTagOf, keySlot } from './keys/hash-slot';
export { encodeKeyPart, type KeyPart, Keyspace, type KeyspaceOptions } from './keys/keyspace';
// Scripts
export { compareAndDelete, compareAndSet, kitScripts } from './scripts/kit-scripts';
export {
  defineScript,
  type RunScriptOptions,
  runScript,
  type ScriptArg,
  type ScriptDefinition,
} from './scripts/script.registry';
// Streams
export {
  IdempotencyGuard,
  type IdempotencyGuardOptions,
  type OnceResult,
} from './streams/idempotency.guard';
export { StreamConsumer } from './streams/stream-consumer';
export type {
  StreamConsumerOptions,
  StreamConsumerPhase,
  StreamHandler,
  StreamHandlerContext,
  StreamMessage,
} from './streams/stream-consumer.options';
export {
  type FanoutMessage,
  StreamFanoutReader,
  type StreamFanoutReaderOptions,
  type SubscriptionState,
} from './streams/stream-fanout-reader';
export { pendingCount } from './streams/stream-group.commands';
export {
  type PublishOptions,
  type StreamFieldValue,
  StreamPublisher,
  type StreamPublisherOptions,
} from './streams/stream-publisher';
export { SpanAttributes, SpanNames, TRACER_NAME } from './telemetry';
