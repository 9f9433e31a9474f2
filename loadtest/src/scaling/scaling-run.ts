// The measured run of `npm run scaling`: real library calls and real service processes against the suite's
// own redis-server and PostgreSQL, with Redis's own counters read around each run.
import os from 'node:os';
import { userEntries } from '../bench/parts/user.part';
import { BenchStack } from '../bench/stack/bench-stack';
import {
  type MeasureContext,
  measureCacheReads,
  measureLimiter,
  measureSessions,
  measureWrites,
  round,
} from './library-operations';
import { RedisMeter } from './redis-meter';
import type { ScalingReport, ScalingSettings } from './scaling.types';
import { measureServices } from './service-requests';

/** Runs every measurement; stops everything it started before it returns or throws. */
export async function runScaling(
  settings: ScalingSettings,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ScalingReport> {
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  log('starting redis-server and PostgreSQL');
  const stack = await BenchStack.start();
  const onAbort = () => void stack.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const entries = userEntries();
    if (!entries.main || !entries.worker) throw new Error(`not built: ${entries.missing}`);
    const ctx: MeasureContext = {
      stack,
      meter: new RedisMeter(stack.plainRedis(), {
        quietS: settings.quietS,
        ...(stack.postgresPid ? { postgresPid: stack.postgresPid } : {}),
      }),
      settings,
      log,
      check: () => {
        signal.throwIfAborted();
        stack.checkAlive();
      },
    };
    const limiter = await measureLimiter(ctx);
    const sessions = await measureSessions(ctx);
    const cache = await measureCacheReads(ctx);
    const write = await measureWrites(ctx, entries.worker);
    const requests = await measureServices(ctx, entries.main, cache.readIds);
    const operations = [...limiter, ...sessions, ...cache.operations, write];

    const versions = await stack.versions();
    const cpus = os.cpus();
    return {
      kind: 'scaling',
      startedAt: startedAt.toISOString(),
      wallS: round((Date.now() - startedAt.getTime()) / 1000, 0),
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        loadAverage: { start: round(loadStart, 2), end: round(os.loadavg()[0] ?? 0, 2) },
        node: process.version,
        ...versions,
      },
      settings,
      operations,
      requests,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stack.close();
  }
}
