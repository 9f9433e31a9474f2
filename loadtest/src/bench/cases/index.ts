import type { BenchCase } from '../core/case.types';
import { cacheHitCase } from './cache.case';
import { gatewayCase } from './gateway.case';
import { invalidationLagCase } from './invalidation-lag.case';
import { limiterAllowCase, limiterDenyCase } from './limiter.case';
import { memoryCase } from './memory.case';
import { sessionCase } from './session.case';
import { userReadCase } from './user-read.case';

/** Every case, in report order. */
export const ALL_CASES: readonly BenchCase[] = [
  limiterAllowCase,
  limiterDenyCase,
  cacheHitCase,
  userReadCase,
  sessionCase,
  gatewayCase,
  invalidationLagCase,
  memoryCase,
];
