import type { CheckResult } from '../../src/algorithms';
import type { PolicyCheck } from '../../src/policy';

/**
 * The limiter's specification in plain TypeScript: the algorithm models plus decide-N.lua's all-or-nothing
 * commit, fed the Redis time each script call reports, so timer jitter cannot make a comparison flaky.
 * State never expires here: every algorithm already reads stale state as empty, so Redis TTLs only
 * reclaim memory and cannot change a decision.
 */
export class ReferenceModel {
  readonly #state = new Map<string, unknown>();

  decide(checks: readonly PolicyCheck[], nowUs: number): { admitted: boolean; results: CheckResult[] } {
    const steps = checks.map((check) => {
      const key = `${check.identity}|${check.policy.name}`;
      const step = check.policy.algorithm.check(
        this.#state.get(key),
        nowUs,
        check.policy.p1,
        check.policy.p2,
        check.cost,
      );
      return { key, check, step };
    });
    const admitted = steps.every(
      ({ check, step }) => check.policy.spec.shadow || step.result.status === 'allowed',
    );
    if (admitted) {
      for (const { key, step } of steps) if (step.next) this.#state.set(key, step.next.state);
      return { admitted, results: steps.map(({ step }) => step.result) };
    }
    // Nothing was spent, so a policy that allowed reports its unchanged state, as a cost-0 check would.
    const results = steps.map(({ key, check, step }) =>
      step.result.status === 'allowed' && check.cost > 0
        ? check.policy.algorithm.check(this.#state.get(key), nowUs, check.policy.p1, check.policy.p2, 0)
            .result
        : step.result,
    );
    return { admitted, results };
  }
}
