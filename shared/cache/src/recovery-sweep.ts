import type { InvalidationOutcome } from './cache-metrics';
import type { RecentWrite } from './entity-cache.options';

/** How many invalidations the sweep keeps in flight. */
const SWEEP_CONCURRENCY = 64;
/** Failed invalidations remembered for the next sweep; beyond this the oldest are dropped (and counted). */
const MAX_REMEMBERED = 10_000;

/** Dependencies of {@link RecoverySweep}. */
export interface RecoverySweepDeps {
  /** The caller's write log: every write since a time. @default none (only remembered failures replay) */
  readonly writesSince?: ((since: Date) => Promise<Iterable<RecentWrite>>) | undefined;
  /** Applies one version-aware invalidation (path `sweep`). */
  readonly invalidate: (id: string, version: number) => Promise<InvalidationOutcome>;
  /** Gives back the leases this instance could not fill or release during the outage. */
  readonly releaseOrphanedLeases: () => Promise<void>;
}

/**
 * The gate's recovery step: replays as version-aware invalidations (no-ops for entries already at or past
 * that version) every write the caller's log has since `since`, plus every invalidation this process saw
 * fail; then gives back the leases it could not fill during the outage, so no reader waits out their TTL.
 * Rejects unless all of it applied, so the gate stays fenced and retries.
 */
export class RecoverySweep {
  readonly #deps: RecoverySweepDeps;
  /** Invalidations that failed in this process (id → highest version), replayed by the next sweep. */
  readonly #failed = new Map<string, number>();
  #dropped = 0;

  constructor(deps: RecoverySweepDeps) {
    this.#deps = deps;
  }

  /** Remembers an invalidation that did not apply, for the next sweep. */
  rememberFailed(id: string, version: number): void {
    const known = this.#failed.get(id);
    this.#failed.delete(id);
    // Version 0 (unconditional) deletes whatever is there: it subsumes any version.
    const merged =
      known === undefined ? version : known === 0 || version === 0 ? 0 : Math.max(known, version);
    this.#failed.set(id, merged);
    if (this.#failed.size > MAX_REMEMBERED) {
      this.#failed.delete(this.#failed.keys().next().value as string);
      this.#dropped++;
    }
  }

  /** Failed invalidations dropped because more than 10 000 were waiting (only `writesSince` covers them). */
  get dropped(): number {
    return this.#dropped;
  }

  /** Runs the sweep; rejects unless every invalidation applied. */
  async run(since: Date): Promise<void> {
    const pending = new Map(this.#failed);
    for (const write of (await this.#deps.writesSince?.(since)) ?? []) {
      const known = pending.get(write.id);
      if (known !== 0) pending.set(write.id, Math.max(known ?? 0, write.version));
    }
    const writes = [...pending];
    let failed = 0;
    for (let i = 0; i < writes.length && failed === 0; i += SWEEP_CONCURRENCY) {
      const batch = writes.slice(i, i + SWEEP_CONCURRENCY);
      const outcomes = await Promise.all(batch.map(([id, version]) => this.#deps.invalidate(id, version)));
      batch.forEach(([id, version], j) => {
        if (outcomes[j] === 'failed') failed++;
        else if (this.#failed.get(id) === version) this.#failed.delete(id);
      });
    }
    if (failed > 0) throw new Error(`recovery sweep: ${failed} invalidation(s) failed`);
    await this.#deps.releaseOrphanedLeases();
  }
}
