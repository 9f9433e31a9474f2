import type { BenchCase } from '../core/case.types';
import { limiterAllowCase, limiterDenyCase } from './limiter.case';

/** Every case, in report order. */
export const ALL_CASES: readonly BenchCase[] = [limiterAllowCase, limiterDenyCase];
