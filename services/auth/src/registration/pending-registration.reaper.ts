import type { Logger } from '@redwire/http-kit';
import type { AccountRepository } from '../accounts/account.repository';
import type { RegistrationService } from './registration.service';

/** Options of {@link PendingRegistrationReaper}. */
export interface PendingRegistrationReaperOptions {
  accounts: AccountRepository;
  registration: RegistrationService;
  logger: Logger;
  /** A registration pending longer than this was interrupted (crash, outage). Must exceed the longest registration. */
  pendingTtlMs: number;
  /** How often to look. @default pendingTtlMs / 5, at least 1000 */
  intervalMs?: number;
}

/**
 * Undoes registrations that never finished (the process died mid-way, or the user service was down during
 * the rollback): deletes the profile, then the pending row. Idempotent, so every replica may run it.
 */
export class PendingRegistrationReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: PendingRegistrationReaperOptions) {}

  /** One pass; returns how many registrations were undone. */
  async runOnce(limit = 100): Promise<number> {
    const ids = await this.options.accounts.findStalePending(this.options.pendingTtlMs, limit);
    let undone = 0;
    for (const id of ids) {
      if (await this.options.registration.undo(id, { profile: true })) undone++;
    }
    if (undone > 0) this.options.logger.info({ undone }, 'undid interrupted registrations');
    return undone;
  }

  start(): void {
    const every = this.options.intervalMs ?? Math.max(1000, Math.floor(this.options.pendingTtlMs / 5));
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'registration reaper pass failed'),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
