import type { Algorithm, ModelStep } from './algorithm';

/** GCRA state: the theoretical arrival time in µs of Redis time. */
export interface GcraState {
  readonly tat: number;
}

/**
 * GCRA, i.e. a token bucket refilling one unit every `p1` µs (the emission interval) up to `p2` units (the
 * burst). One integer per identity; a deny writes nothing. Mirrors gcra.lua line for line.
 */
export const gcra: Algorithm<GcraState> = {
  name: 'gcra',
  code: 1,
  luaFile: 'gcra.lua',
  check(state, now, interval, burst, cost): ModelStep<GcraState> {
    const tolerance = interval * burst;
    const tat = Math.max(state?.tat ?? now, now);
    if (cost > burst) {
      return {
        result: {
          status: 'unsatisfiable',
          remaining: Math.floor((tolerance - (tat - now)) / interval),
          waitUs: -1,
        },
      };
    }
    const newTat = tat + cost * interval;
    const allowAt = newTat - tolerance;
    if (allowAt > now) {
      const remaining = Math.floor((tolerance - (tat - now)) / interval);
      return { result: { status: 'denied', remaining, waitUs: allowAt - now } };
    }
    const used = newTat - now;
    const remaining = Math.floor((tolerance - used) / interval);
    const waitUs = remaining < burst ? used - tolerance + (remaining + 1) * interval : 0;
    const result = { status: 'allowed', remaining, waitUs } as const;
    if (cost === 0) return { result };
    return { result, next: { state: { tat: newTat }, ttlUs: newTat - now } };
  },
  refund(state, now, _reservedAt, interval, _burst, cost) {
    if (!state) return undefined;
    const tat = state.tat - cost * interval;
    return tat <= now ? undefined : { tat };
  },
};
