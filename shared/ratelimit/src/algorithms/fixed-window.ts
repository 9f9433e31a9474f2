import type { Algorithm, ModelStep } from './algorithm';

/** Fixed-window state: the window index and its count. */
export interface FixedWindowState {
  readonly w: number;
  readonly c: number;
}

/**
 * Fixed window of `p1` µs admitting `p2` units, aligned to Redis time. Cheap, but admits up to 2× the limit
 * across a boundary; prefer GCRA or the sliding window. Mirrors fixed-window.lua.
 */
export const fixedWindow: Algorithm<FixedWindowState> = {
  name: 'fixed-window',
  code: 3,
  luaFile: 'fixed-window.lua',
  check(state, now, window, limit, cost): ModelStep<FixedWindowState> {
    let idx = Math.floor(now / window);
    let c = state?.c ?? 0;
    if (state === undefined || state.w < idx) c = 0;
    else if (state.w > idx) idx = state.w;
    const left = Math.max(1, idx * window + window - now);
    if (cost > limit) return { result: { status: 'unsatisfiable', remaining: limit - c, waitUs: -1 } };
    if (c + cost > limit) return { result: { status: 'denied', remaining: limit - c, waitUs: left } };
    const result = {
      status: 'allowed',
      remaining: limit - c - cost,
      waitUs: c + cost > 0 ? left : 0,
    } as const;
    if (cost === 0) return { result: { ...result, remaining: limit - c } };
    return { result, next: { state: { w: idx, c: c + cost }, ttlUs: left } };
  },
  refund(state, _now, reservedAt, window, _limit, cost) {
    if (!state || state.w !== Math.floor(reservedAt / window)) return state;
    return { ...state, c: Math.max(0, state.c - cost) };
  },
};
