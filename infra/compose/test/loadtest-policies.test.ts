import { PolicySet, type PolicySpec, type RequestFacts } from '@redwire/gateway';
import { describe, expect, it } from 'vitest';
import { environmentOf, loadCompose } from './support/compose-model';
import { readRepoFile } from './support/repo';

// The gateway's policy file for k6 runs (loadtest/k6/README.md "Load-test rate-limit policy"): all k6
// traffic comes from one IP, so per-IP quotas must be far above a run, while the free tier must sit between
// the heaviest steady per-user rate (10/s) and the burst scenario's rate (40/s in mixed, 50/s alone).

const FILE_IN_CONTAINER = '/etc/redwire/policies/loadtest.json';
const policies = PolicySet.fromJson(readRepoFile('infra/compose/policies/loadtest.json'));
const perSecond = (p: PolicySpec) => p.limit / p.period;
const applying = (facts: RequestFacts) => {
  const keys = policies.keysFor(facts);
  return policies.policies.filter((p) => p.name in keys && !p.shadow);
};
const anonymous = (method: string, path: string): RequestFacts => ({ method, path, ipKey: '172.18.0.1' });
const freeUser = (method: string, path: string): RequestFacts => ({
  ...anonymous(method, path),
  user: { id: '01890a5d-ac96-774b-bcce-b302099a8057', tier: 'free' },
});

describe('the load-test rate-limit policy file', () => {
  it('when compose runs the gateway, then the file is mounted where RATE_LIMIT_POLICIES_FILE is told to look', () => {
    const gateway = loadCompose().value.services.gateway;
    expect(gateway?.volumes).toContain('./infra/compose/policies:/etc/redwire/policies:ro');
    expect(environmentOf(gateway ?? {}).RATE_LIMIT_POLICIES_FILE).toBe('');
    expect(readRepoFile('loadtest/k6/README.md')).toContain(`RATE_LIMIT_POLICIES_FILE=${FILE_IN_CONTAINER}`);
  });

  it('when anonymous traffic of a whole run comes from one IP, then no per-IP quota is within reach', () => {
    for (const facts of [anonymous('GET', '/users/x'), freeUser('GET', '/users/x')]) {
      const perIp = applying(facts).filter((p) => p.identity !== 'user');
      expect(perIp.length).toBeGreaterThan(0);
      for (const policy of perIp) expect(perSecond(policy), policy.name).toBeGreaterThanOrEqual(1000);
    }
  });

  it('when setup registers and logs in its users and browse logs in every iteration, then the credential quotas hold', () => {
    for (const [path, perRun] of [
      ['/auth/login', 5 * 600 + 51],
      ['/auth/register', 51 * 20],
    ] as const) {
      const credential = applying(anonymous('POST', path)).filter((p) => p.match.path === path);
      expect(credential, path).toHaveLength(1);
      for (const policy of credential) expect(policy.limit, policy.name).toBeGreaterThanOrEqual(perRun);
    }
  });

  it('when a free user reads steadily or bursts, then the steady rate passes and the burst reaches the limit', () => {
    const perUser = applying(freeUser('GET', '/users/x')).filter((p) => p.identity === 'user');
    expect(perUser).toHaveLength(1);
    for (const policy of perUser) {
      expect(perSecond(policy), policy.name).toBeGreaterThan(10);
      expect(perSecond(policy), policy.name).toBeLessThan(40);
      // A short window, so a 30 s burst crosses several and the verdict has something to judge.
      expect(policy.period, policy.name).toBeLessThanOrEqual(5);
    }
  });
});
