import type { Algorithm, AlgorithmName } from './algorithm';
import { fixedWindow } from './fixed-window';
import { gcra } from './gcra';
import { slidingWindow } from './sliding-window';

export type { Algorithm, AlgorithmName, CheckResult, CheckStatus, ModelStep } from './algorithm';
export { fixedWindow, gcra, slidingWindow };

/** Every algorithm by name. decide-N.lua's dispatch table is ordered by `code`. */
export const algorithms: Readonly<Record<AlgorithmName, Algorithm<unknown>>> = {
  gcra: gcra as Algorithm<unknown>,
  'sliding-window': slidingWindow as Algorithm<unknown>,
  'fixed-window': fixedWindow as Algorithm<unknown>,
};
