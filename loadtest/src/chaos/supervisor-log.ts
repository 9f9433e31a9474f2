import { describeExit } from '@redwire/launchers';
import type { SupervisorEvent } from '@redwire/local-stack';

/** A supervisor event with the run-relative time it happened. */
export type TimedEvent = SupervisorEvent & { readonly at: number };

/** Every supervisor event of a run, and a way to wait for the next one of a kind. */
export class SupervisorLog {
  readonly events: TimedEvent[] = [];
  readonly #waiters = new Set<(event: TimedEvent) => void>();

  /** The supervisor's `onEvent`. */
  readonly record = (event: SupervisorEvent, at: number): void => {
    const timed = { ...event, at };
    this.events.push(timed);
    for (const waiter of [...this.#waiters]) waiter(timed);
  };

  /** The first `type` event of `name` at or after `since` (already recorded, or yet to come). */
  next(type: SupervisorEvent['type'], name: string, since: number, timeoutMs = 30_000): Promise<TimedEvent> {
    const matches = (e: TimedEvent) => e.type === type && e.name === name && e.at >= since;
    const seen = this.events.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${type} event of ${name} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (event: TimedEvent) => {
        if (!matches(event)) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(event);
      };
      this.#waiters.add(waiter);
    });
  }
}

/** A line for the report: restarts, exits and their causes (start-up starts get none). */
export function describeEvent(event: TimedEvent): string | undefined {
  switch (event.type) {
    case 'started':
      return event.restart ? `${event.name} started again (pid ${event.pid})` : undefined;
    case 'exited':
      return `${event.name} ${describeExit(event.exit)}${event.expected ? ' (held by the harness)' : ''}`;
    case 'restarting':
      return `${event.name}: supervisor restarts it in ${event.delayMs} ms (crash ${event.crashes} in the window)`;
    case 'gave-up':
      return event.message;
  }
}
