export { countRedisClients, freeze, killRedisClients, pauseRedis, sleepRedis, thaw } from './faults';
export { testPool, uniquePrefix } from './isolation';
export {
  decodeOtlpJson,
  type OtlpReceiver,
  type ReceivedExport,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver';
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
export { firstCodeBlock, runExample } from './readme-example';
export { type ServerTiming, trackResponseTimes } from './response-times';
