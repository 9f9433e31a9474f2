import { LRUCache } from 'lru-cache';
import type { CheckResult } from './algorithms';
import type { PolicyCheck } from './policy';

/** Options of {@link LocalLimiter}. */
export interface LocalLimiterOptions {
  /** Processes sharing the traffic; each allows 1/instances of every policy. @default 1 */
  readonly instances?: number;
  /** Most (policy, identity) states kept; the least recently used go first. @default 10000 */
  readonly maxEntries?: number;
  /** Monotonic clock in ms. @default performance.now */
  readonly clock?: () => number;
}

/**
 * The in-process fallback for policies whose failure mode is `local`: the same algorithm models the Lua
 * scripts are tested against, at each policy's rate divided by the instance count, all-or-nothing over a
 * request's checks like the script. Used only while Redis fails, never as a general cache.
 */
export class LocalLimiter {
  readonly #instances: number;
  readonly #states: LRUCache<string, { state: unknown }>;
  readonly #clock: () => number;

  constructor(options: LocalLimiterOptions = {}) {
    this.#instances = options.instances ?? 1;
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.#instances) || this.#instances < 1)
      throw new Error('instances must be an integer >= 1');
    if (!Number.isInteger(max) || max < 1) throw new Error('maxEntries must be an integer >= 1');
    this.#states = new LRUCache({ max });
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** Decides `checks` in-process; returns one result per check and whether the request is admitted. */
  decide(checks: readonly PolicyCheck[]): { admitted: boolean; results: CheckResult[] } {
    const now = Math.floor(this.#clock() * 1000);
    const steps = checks.map((check) => {
      const { policy } = check;
      const key = `${policy.name}\u0000${check.identity}`;
      // A rate divided by n: n times the emission interval, or 1/n of the window's limit (at least 1).
      const p1 = policy.algorithm.name === 'gcra' ? policy.p1 * this.#instances : policy.p1;
      const p2 = Math.max(1, Math.ceil(policy.p2 / this.#instances));
      const state = this.#states.get(key)?.state;
      return { key, check, state, p1, p2, step: policy.algorithm.check(state, now, p1, p2, check.cost) };
    });
    const admitted = steps.every(
      ({ check, step }) => check.policy.spec.shadow || step.result.status === 'allowed',
    );
    if (admitted) {
      for (const { key, step } of steps) {
        if (step.next)
          this.#states.set(key, { state: step.next.state }, { ttl: Math.ceil(step.next.ttlUs / 1000) });
      }
      return { admitted, results: steps.map(({ step }) => step.result) };
    }
    // As decide-N.lua: nothing was spent, so a policy that allowed reports its unchanged state.
    const results = steps.map(({ check, state, p1, p2, step }) =>
      step.result.status === 'allowed' && check.cost > 0
        ? check.policy.algorithm.check(state, now, p1, p2, 0).result
        : step.result,
    );
    return { admitted, results };
  }
}
