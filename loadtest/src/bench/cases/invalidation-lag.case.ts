import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { type CaseSession, type LagCase, type LagRunner, type LagSample, prepare } from '../core/case.types';
import { promCounter } from '../core/prom-text';
import { seedUsers, startUserRuntime, userCacheKeys, userEntries, userServiceEnv } from '../parts/user.part';

/** How long after its commit an invalidation may still arrive before the write counts as never observed. */
const GIVE_UP_MS = 5000;
/** Gap between two writes of a run (writes overlap; each is timed on its own). */
const WRITE_SPACING_MS = 10;
const KEYSPACE_CHANNEL = '__keyspace@0__:';
const INVALIDATIONS_METRIC = 'redwire_user_cache_invalidations_total';

/** Thrown by the after-commit hook to skip the synchronous invalidation, leaving only the event path. */
class SkipSyncInvalidation extends Error {
  constructor(readonly version: number) {
    super('synchronous invalidation skipped: event path only');
  }
}

/** One committed write waiting for its invalidation. */
interface Tracked {
  readonly version: number;
  readonly committedAt: number;
  /** Resolves with the time the invalidation was seen, or undefined after GIVE_UP_MS. */
  readonly applied: Promise<number | undefined>;
  resolve(appliedAt: number): void;
}

/**
 * Waits for writes' invalidations: a keyspace notification on a user's floor key (raised by every
 * invalidation of a new version) settles each write of that user whose version the floor now covers.
 */
class InvalidationWatcher {
  readonly #pending = new Map<string, Tracked[]>();
  readonly #owner = new Map<string, string>();
  readonly #floorOf: ReadonlyMap<string, string>;
  /** When the last floor notification of each key arrived. */
  readonly #lastSeen = new Map<string, number>();
  readonly #admin: Redis;

  constructor(admin: Redis, floors: ReadonlyMap<string, string>) {
    this.#admin = admin;
    this.#floorOf = floors;
    for (const [id, floorKey] of floors) this.#owner.set(floorKey, id);
  }

  async subscribe(subscriber: Redis): Promise<void> {
    subscriber.on('message', (channel: string, event: string) => {
      const appliedAt = performance.now();
      const floorKey = channel.slice(KEYSPACE_CHANNEL.length);
      if (event !== 'set' || !this.#owner.has(floorKey)) return;
      this.#lastSeen.set(floorKey, appliedAt);
      void this.#settle(floorKey, () => appliedAt);
    });
    await subscriber.subscribe(...[...this.#owner.keys()].map((k) => `${KEYSPACE_CHANNEL}${k}`));
  }

  /**
   * Registers a write when the after-commit hook runs. The invalidation may already have landed (the
   * worker saw the commit through PostgreSQL before this process handled the COMMIT reply, or the worker
   * beat the sync path): a check of the floor right away settles it at the later of its notification and
   * the commit stamp, i.e. ~0 ms, the most this process can say.
   */
  track(id: string, version: number): Tracked {
    let resolve!: (appliedAt: number | undefined) => void;
    const applied = new Promise<number | undefined>((r) => {
      resolve = r;
    });
    const timer = setTimeout(() => {
      const list = this.#pending.get(id) ?? [];
      const at = list.indexOf(tracked);
      if (at >= 0) list.splice(at, 1);
      resolve(undefined);
    }, GIVE_UP_MS);
    const tracked: Tracked = {
      version,
      committedAt: performance.now(),
      applied,
      resolve: (appliedAt) => {
        clearTimeout(timer);
        resolve(appliedAt);
      },
    };
    const list = this.#pending.get(id) ?? [];
    list.push(tracked);
    this.#pending.set(id, list);
    const floorKey = this.#floorOf.get(id);
    if (floorKey)
      void this.#settle(floorKey, () => Math.max(tracked.committedAt, this.#lastSeen.get(floorKey) ?? 0));
    return tracked;
  }

  async #settle(floorKey: string, appliedAt: () => number): Promise<void> {
    const id = this.#owner.get(floorKey) as string;
    if (!this.#pending.get(id)?.length) return;
    const floor = Number((await this.#admin.get(floorKey)) ?? 0);
    const list = this.#pending.get(id) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const tracked = list[i] as Tracked;
      if (tracked.version <= floor) {
        list.splice(i, 1);
        tracked.resolve(appliedAt());
      }
    }
  }
}

/** Commit → invalidation applied, on the synchronous path and on the outbox/stream path. */
export const invalidationLagCase: LagCase = {
  kind: 'lag',
  id: 'invalidation-lag',
  title: 'Invalidation lag (commit → cache invalidation applied)',
  driver: (s) =>
    `${s.lagWrites} writes per path per round through UserService.update() (what PATCH /users/:id runs), one every ${WRITE_SPACING_MS} ms over 100 users`,
  notes: [
    '"commit" is when the user service\'s after-commit hook runs (COMMIT has returned); "applied" is when Redis publishes the keyspace event of the invalidation script raising that user\'s floor key (notify-keyspace-events is on only while this case runs).',
    'Event path: the hook skips the synchronous invalidation (the "process died after commit" case), so only the outbox relay → user-events stream → user-cache consumer (services/user/dist/worker.js, its own process) invalidates.',
    'An invalidation that landed before this process handled its own COMMIT reply (the worker can see the commit first) counts as 0 ms.',
    `A write whose invalidation is not seen within ${GIVE_UP_MS / 1000} s counts as never observed.`,
  ],
  variants: [
    {
      id: 'sync',
      label: 'synchronous path',
      role: 'redwire',
      description: 'UserService.update(): commit, then UserCache.invalidate() before answering.',
    },
    {
      id: 'event',
      label: 'event path (outbox → stream → consumer)',
      role: 'redwire',
      description: 'Sync invalidation skipped; the worker applies the user.updated event.',
    },
  ],
  async setup({ stack }): Promise<CaseSession<LagRunner>> {
    const entries = userEntries();
    if (!entries.worker || !stack.databaseUrl) {
      const reason = `user service not built (${entries.missing ?? stack.databaseMissing})`;
      return { variants: { sync: { missing: reason }, event: { missing: reason } }, close: async () => {} };
    }
    const worker = entries.worker;
    const ids = await seedUsers(stack, 'writes');
    const admin = stack.plainRedis();
    let mode: 'sync' | 'event' = 'sync';
    let watcher: InvalidationWatcher | undefined;
    const tracked = new Map<string, Tracked>();
    const runtime = await startUserRuntime(stack, {
      l1: false,
      overrides: {
        serviceHooks: {
          afterCommit: async (event) => {
            if (watcher)
              tracked.set(`${event.userId}:${event.version}`, watcher.track(event.userId, event.version));
            if (mode === 'event') throw new SkipSyncInvalidation(event.version);
          },
        },
      },
    });
    watcher = new InvalidationWatcher(
      admin,
      new Map(ids.map((id) => [id, userCacheKeys(runtime, id).floor])),
    );
    await watcher.subscribe(stack.plainRedis());

    /** The in-process service's count of invalidations on `path` with `outcome` (from its own registry). */
    const localCount = async (path: string, outcome?: string) => {
      const metric = await runtime.metrics.registry.getSingleMetric(INVALIDATIONS_METRIC)?.get();
      return (metric?.values ?? [])
        .filter((v) => v.labels.path === path && (outcome === undefined || v.labels.outcome === outcome))
        .reduce((n, v) => n + v.value, 0);
    };
    let workerUrl: string | undefined;
    /** The worker's count, read from its /metrics. */
    const workerCount = async (path: string, outcome?: string) => {
      if (!workerUrl) return 0;
      const text = await (await fetch(`${workerUrl}/metrics`)).text();
      return promCounter(text, INVALIDATIONS_METRIC, { path, ...(outcome ? { outcome } : {}) });
    };
    /** What explains a run's tail: invalidations that missed their budget, and unconditional retries. */
    const explain = async (which: 'sync' | 'event') =>
      which === 'sync'
        ? { fellBack: await localCount('sync', 'failed'), retried: 0 }
        : { fellBack: await workerCount('event', 'failed'), retried: await workerCount('job') };

    let counter = 0;
    /** One write, timed from its commit to its invalidation; never rejects (a failed write is reported). */
    const write = async (id: string): Promise<{ lagMs: number } | { lost: true } | { failed: string }> => {
      let version: number;
      try {
        const result = await runtime.service.update(id, { bio: `bench write ${counter++}` }, undefined);
        if (result.kind !== 'updated') return { failed: `update answered ${result.kind}` };
        version = result.user.version;
      } catch (error) {
        if (!(error instanceof SkipSyncInvalidation)) {
          return { failed: error instanceof Error ? error.message : String(error) };
        }
        version = error.version;
      }
      const entry = tracked.get(`${id}:${version}`);
      if (!entry) return { failed: 'the after-commit hook did not run' };
      tracked.delete(`${id}:${version}`);
      const appliedAt = await entry.applied;
      return appliedAt === undefined ? { lost: true } : { lagMs: appliedAt - entry.committedAt };
    };

    const run =
      (which: 'sync' | 'event'): LagRunner =>
      async (writes) => {
        mode = which;
        const before = await explain(which);
        await admin.config('SET', 'notify-keyspace-events', 'K$');
        try {
          const observed: ReturnType<typeof write>[] = [];
          for (let i = 0; i < writes; i++) {
            observed.push(write(ids[i % ids.length] as string));
            await sleep(WRITE_SPACING_MS);
          }
          const outcomes = await Promise.all(observed);
          const latenciesMs = outcomes.flatMap((o) => ('lagMs' in o ? [o.lagMs] : []));
          const failed = outcomes.flatMap((o) => ('failed' in o ? [o.failed] : []));
          const after = await explain(which);
          const fellBack = after.fellBack - before.fellBack;
          const retried = after.retried - before.retried;
          const details = [
            which === 'sync'
              ? `${fellBack} of ${writes} sync invalidations missed their budget and were left to the event path`
              : `${fellBack} of ${writes} event invalidations missed their budget and went to the retry queue` +
                (retried
                  ? ` (${retried} unconditional re-invalidations: no floor raise, so counted as never observed)`
                  : ''),
            ...(failed.length ? [`${failed.length} writes failed (first: ${failed[0]})`] : []),
          ];
          return {
            latenciesMs,
            lost: outcomes.filter((o) => 'lost' in o).length,
            ...(details.length ? { detail: details.join('; ') } : {}),
          } satisfies LagSample;
        } finally {
          await admin.config('SET', 'notify-keyspace-events', '');
        }
      };

    return {
      variants: {
        sync: await prepare(() => run('sync')),
        event: await prepare(async () => {
          const started = await stack.startService('user worker', worker, (port) =>
            userServiceEnv(stack, { METRICS_PORT: String(port) }),
          );
          workerUrl = started.url;
          return run('event');
        }),
      },
      close: async () => {
        await admin.config('SET', 'notify-keyspace-events', '').catch(() => {});
      },
    };
  },
};
