import type { RecentWrite } from '../users/user.repository';
import type { UserCache } from './user-cache';

/** How many invalidations the sweep keeps in flight. */
const SWEEP_CONCURRENCY = 64;

/** Dependencies of {@link createRecoverySweep}. */
export interface RecoverySweepDeps {
  /** The newest version per user written since a time (the outbox, published or not). */
  readonly writesSince: (since: Date) => Promise<RecentWrite[]>;
  readonly cache: UserCache;
}

/**
 * The CacheGate's recovery step: replays every write committed since `since` as a version-aware
 * invalidation (a no-op for entries already at or past that version), then gives back the leases this
 * instance could not fill during the outage, so no reader waits out their TTL. Rejects unless all of it
 * applied, so the gate stays fenced and retries.
 */
export function createRecoverySweep(deps: RecoverySweepDeps): (since: Date) => Promise<void> {
  return async (since) => {
    const writes = await deps.writesSince(since);
    let failed = 0;
    for (let i = 0; i < writes.length; i += SWEEP_CONCURRENCY) {
      const batch = writes.slice(i, i + SWEEP_CONCURRENCY);
      const outcomes = await Promise.all(
        batch.map((w) => deps.cache.invalidate(w.userId, w.version, { path: 'sweep' })),
      );
      failed += outcomes.filter((o) => o === 'failed').length;
      if (failed > 0) break;
    }
    if (failed > 0) throw new Error(`recovery sweep: ${failed} invalidation(s) failed`);
    await deps.cache.releaseOrphanedLeases();
  };
}
