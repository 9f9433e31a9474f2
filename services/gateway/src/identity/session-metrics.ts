import { Counter, Gauge, type Registry } from 'prom-client';

/** What happened to a token-bearing request whose session could not be checked in Redis. */
export type DegradedOutcome = 'served' | 'refused_method' | 'refused_unknown';

/** The session check's Prometheus metrics (fixed label values only). */
export class SessionMetrics {
  readonly #degraded: Counter<'outcome'>;
  readonly #mode: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#degraded = new Counter({
      name: 'redwire_gateway_degraded_sessions_total',
      help: 'Token-bearing requests whose session could not be checked because the state Redis was unreachable: served from the last-known-good record (served), refused because the method is not safe (refused_method), refused because no record from within the window exists (refused_unknown).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['served', 'refused_method', 'refused_unknown'] as const) {
      this.#degraded.inc({ outcome }, 0);
    }
    this.#mode = new Gauge({
      name: 'redwire_gateway_sessions_degraded',
      help: '1 while the last session check could not reach the state Redis (degraded mode), 0 once a check succeeds.',
      registers,
    });
    this.#mode.set(0);
  }

  degraded(outcome: DegradedOutcome): void {
    this.#degraded.inc({ outcome });
  }

  mode(degraded: boolean): void {
    this.#mode.set(degraded ? 1 : 0);
  }
}
