import type { Algorithm, ModelStep } from './algorithm';

/** Sliding-window state: the current window index, its count, and the previous window's count. */
export interface SlidingWindowState {
  readonly w: number;
  readonly c: number;
  readonly p: number;
}

function current(state: SlidingWindowState | undefined, now: number, window: number) {
  let idx = Math.floor(now / window);
  let c = state?.c ?? 0;
  let p = state?.p ?? 0;
  if (state === undefined || state.w < idx - 1) {
    c = 0;
    p = 0;
  } else if (state.w === idx - 1) {
    p = c;
    c = 0;
  } else if (state.w > idx) {
    idx = state.w;
  }
  return { idx, c, p, elapsed: Math.max(0, now - idx * window) };
}

function waitFor(c: number, p: number, elapsed: number, window: number, limit: number, need: number): number {
  if (need > limit) return -1;
  const room = limit - need - c;
  if (room >= 0) {
    if (p === 0) return 0;
    const dt = window - elapsed - (room * window) / p;
    return dt <= 0 ? 0 : Math.ceil(dt);
  }
  const e2 = Math.max(0, window - ((limit - need) * window) / c);
  return Math.ceil(window - elapsed + e2);
}

/**
 * Sliding-window counter over windows of `p1` µs admitting `p2` units: the previous window's count is
 * weighted by its remaining overlap. Never admits 2× the limit across a boundary (a fixed window can).
 * Mirrors sliding-window.lua, including the order of floating-point operations.
 */
export const slidingWindow: Algorithm<SlidingWindowState> = {
  name: 'sliding-window',
  code: 2,
  luaFile: 'sliding-window.lua',
  check(state, now, window, limit, cost): ModelStep<SlidingWindowState> {
    const { idx, c, p, elapsed } = current(state, now, window);
    const estimate = (p * (window - elapsed)) / window + c;
    if (cost > limit) {
      return {
        result: { status: 'unsatisfiable', remaining: Math.max(0, Math.floor(limit - estimate)), waitUs: -1 },
      };
    }
    if (estimate + cost > limit) {
      return {
        result: {
          status: 'denied',
          remaining: Math.max(0, Math.floor(limit - estimate)),
          waitUs: waitFor(c, p, elapsed, window, limit, cost),
        },
      };
    }
    const remaining = Math.floor(limit - (estimate + cost));
    const waitUs = remaining < limit ? waitFor(c + cost, p, elapsed, window, limit, remaining + 1) : 0;
    const result = { status: 'allowed', remaining, waitUs } as const;
    if (cost === 0) return { result };
    return { result, next: { state: { w: idx, c: c + cost, p }, ttlUs: 2 * window - elapsed } };
  },
  refund(state, _now, reservedAt, window, _limit, cost) {
    if (!state) return undefined;
    const idx = Math.floor(reservedAt / window);
    if (state.w === idx) return { ...state, c: Math.max(0, state.c - cost) };
    if (state.w === idx + 1) return { ...state, p: Math.max(0, state.p - cost) };
    return state;
  },
};
