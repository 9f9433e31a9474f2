import { Counter, type Registry } from 'prom-client';

/** The auth service's own metrics. */
export function createAuthMetrics(registry: Registry) {
  const logins = new Counter({
    name: 'redwire_auth_logins_total',
    help: 'Login attempts by outcome (every failure answers the same 401).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const verifications = new Counter({
    name: 'redwire_auth_password_verifications_total',
    help: 'Argon2id verifications, against an account hash or the dummy hash.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const registrations = new Counter({
    name: 'redwire_auth_registrations_total',
    help: 'Registrations by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    login: (outcome: string) => logins.inc({ outcome }),
    verification: (kind: string) => verifications.inc({ kind }),
    registration: (outcome: string) => registrations.inc({ outcome }),
  };
}
