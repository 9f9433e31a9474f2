import type { PolicyInput } from './policy.schema';

/**
 * The policies used when no RATE_LIMIT_POLICIES_FILE is given (docs/api.md): anonymous traffic per IP, signed-in
 * traffic per user by tier, a generous per-IP ceiling for everyone (many sessions behind one address),
 * and strict per-IP limits on the credential endpoints, which refuse rather than guess when Redis is down.
 * `policies.example.json` holds the same set in the file format.
 */
export const DEFAULT_POLICIES: readonly PolicyInput[] = [
  { name: 'anon-ip', identity: 'ip', principal: 'anonymous', limit: 20, period: 1, burst: 40 },
  { name: 'ip', identity: 'ip', limit: 100, period: 1, burst: 200, onRedisError: 'open' },
  { name: 'user-free', identity: 'user', tiers: ['free'], limit: 10, period: 1, burst: 20 },
  { name: 'user-pro', identity: 'user', tiers: ['pro'], limit: 50, period: 1, burst: 100 },
  {
    name: 'login-ip',
    match: { methods: ['POST'], path: '/auth/login' },
    identity: 'ip',
    algorithm: 'sliding-window',
    limit: 10,
    period: 60,
    onRedisError: 'closed',
  },
  {
    name: 'register-ip',
    match: { methods: ['POST'], path: '/auth/register' },
    identity: 'ip',
    algorithm: 'sliding-window',
    limit: 5,
    period: 3600,
    onRedisError: 'closed',
  },
];
