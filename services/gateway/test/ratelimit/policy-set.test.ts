import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { PolicySet, type RequestFacts } from '../../src/ratelimit';
import { DEFAULT_POLICIES } from '../../src/ratelimit/default-policies';

const anonymous: RequestFacts = { method: 'GET', path: '/users/1', ipKey: '192.0.2.7' };
const ada: RequestFacts = {
  ...anonymous,
  user: { id: '0193a0c2-7a3b-7cde-8f01-23456789abcd', tier: 'free' },
};

describe('the gateway policy file', () => {
  it('when the example file is parsed, then it validates and equals the built-in policies', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../policies.example.json'), 'utf8');
    expect(PolicySet.fromJson(text).policies).toEqual(new PolicySet(DEFAULT_POLICIES).policies);
  });

  it('when a file breaks the library rules and the gateway rules, then one error lists both', () => {
    try {
      new PolicySet([
        { name: 'a', identity: 'user', principal: 'anonymous', limit: 5, period: 1 },
        { name: 'b', identity: 'ip', algorithm: 'fixed-window', limit: 5, period: 1, burst: 10 },
        { name: 'b', identity: 'global', limit: 1, period: 1, cost: 2 },
      ]);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ZodError);
      const paths = (error as ZodError).issues.map((i) => i.path.join('.'));
      expect(paths).toEqual(
        expect.arrayContaining([
          'policies.0.principal',
          'policies.1.burst',
          'policies.2.cost',
          'policies.2.name',
        ]),
      );
    }
  });

  it('when the limiter is given the policies, then the selection fields are left out', () => {
    const [first] = new PolicySet([
      {
        name: 'login',
        match: { methods: ['POST'], path: '/auth/login' },
        identity: 'ip',
        limit: 5,
        period: 60,
      },
    ]).limiterPolicies();
    expect(first).toEqual({
      name: 'login',
      algorithm: 'gcra',
      limit: 5,
      period: 60,
      cost: 1,
      shadow: false,
      onRedisError: 'local',
    });
  });
});

describe('PolicySet.keysFor', () => {
  const set = new PolicySet(DEFAULT_POLICIES);

  it('when a free user reads, then the user policy is keyed by the user id and the IP policy by the address', () => {
    expect(set.keysFor(ada)).toEqual({ ip: 'i.192.0.2.7', 'user-free': ada.user?.id });
  });

  it('when an anonymous client logs in, then the anonymous, IP and login policies apply and no user policy does', () => {
    expect(set.keysFor({ ...anonymous, method: 'POST', path: '/auth/login' })).toEqual({
      'anon-ip': 'i.192.0.2.7',
      ip: 'i.192.0.2.7',
      'login-ip': 'i.192.0.2.7',
    });
  });

  it('when a global policy matches a path prefix, then every request under it shares the key g', () => {
    const global = new PolicySet([
      { name: 'all', identity: 'global', match: { path: '/users/*' }, limit: 5, period: 1 },
    ]);
    expect(global.keysFor(anonymous)).toEqual({ all: 'g' });
    expect(global.keysFor({ ...anonymous, path: '/users' })).toEqual({ all: 'g' });
    expect(global.keysFor({ ...anonymous, path: '/auth/login' })).toEqual({});
  });
});
