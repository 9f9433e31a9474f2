import type {
  BenchSettings,
  CaseResult,
  LagRun,
  LagVariantResult,
  MemoryCaseResult,
  ThroughputRun,
  ThroughputVariantResult,
} from './bench.types';
import type {
  BenchCase,
  BenchContext,
  CaseSession,
  LagCase,
  LagRunner,
  Prepared,
  ThroughputCase,
  ThroughputRunner,
  VariantSpec,
} from './case.types';
import { median, pairedRatio, spread, summarizeLatencies } from './stats';

type Live =
  | { readonly spec: ThroughputCase; readonly session: CaseSession<ThroughputRunner> | { failed: string } }
  | { readonly spec: LagCase; readonly session: CaseSession<LagRunner> | { failed: string } };

interface Recorded<T> {
  readonly runs: T[];
  errors: string[];
  warmedUp: boolean;
}

/** Rotates `items` left by `by`, so no variant always runs first (or last) in a round. */
function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}

/**
 * Runs every case: all set-ups first (so every server is up before the first measurement), then the
 * rounds; in each round every case runs each of its variants once, in a rotated order, back to back.
 * Memory is measured once at the end. Clean-up always runs.
 */
export async function runCases(cases: readonly BenchCase[], context: BenchContext): Promise<CaseResult[]> {
  const { settings } = context;
  const live: Live[] = [];
  const throughput = new Map<string, Recorded<ThroughputRun>>();
  const lag = new Map<string, Recorded<LagRun> & { samples: number[]; lost: number }>();
  const key = (caseId: string, variantId: string) => `${caseId}/${variantId}`;

  try {
    // Set-ups run side by side (child processes start concurrently); `live` keeps the report order.
    const setups = cases.map(async (spec): Promise<Live | undefined> => {
      if (spec.kind === 'memory') return undefined;
      const started = Date.now();
      try {
        const session = await spec.setup(context);
        context.log(`set-up: ${spec.id} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        return { spec, session } as Live;
      } catch (error) {
        context.log(`set-up: ${spec.id} failed: ${describeError(error)}`);
        return { spec, session: { failed: describeError(error) } } as Live;
      }
    });
    for (const entry of await Promise.all(setups)) if (entry) live.push(entry);

    for (let round = 1; round <= settings.rounds; round++) {
      context.stack.checkAlive();
      context.log(`round ${round}/${settings.rounds}`);
      for (const { spec, session } of live) {
        if ('failed' in session) continue;
        for (const variant of rotate(spec.variants, round - 1)) {
          const prepared = session.variants[variant.id];
          if (!prepared || !('run' in prepared)) continue;
          if (spec.kind === 'throughput') {
            const record = throughput.get(key(spec.id, variant.id)) ?? {
              runs: [],
              errors: [],
              warmedUp: false,
            };
            throughput.set(key(spec.id, variant.id), record);
            const run = prepared.run as ThroughputRunner;
            try {
              if (!record.warmedUp && settings.warmupMs > 0) await run(settings.warmupMs);
              record.warmedUp = true;
              const sample = await run(settings.durationMs);
              record.runs.push({ round, ...sample });
              context.log(
                `  ${spec.id} ${variant.id}: ${Math.round(sample.opsPerSec)} ${spec.unit}, p99 ${sample.p99Ms.toFixed(2)} ms${sample.errors ? `, ${sample.errors} errors (${sample.firstError})` : ''}`,
              );
            } catch (error) {
              record.errors.push(describeError(error));
              context.log(`  ${spec.id} ${variant.id}: failed: ${describeError(error)}`);
            }
          } else {
            const record = lag.get(key(spec.id, variant.id)) ?? {
              runs: [],
              errors: [],
              warmedUp: settings.warmupMs === 0,
              samples: [],
              lost: 0,
            };
            lag.set(key(spec.id, variant.id), record);
            try {
              const run = prepared.run as LagRunner;
              if (!record.warmedUp) await run(Math.ceil(settings.lagWrites / 5));
              record.warmedUp = true;
              const sample = await run(settings.lagWrites);
              const summary = summarizeLatencies(sample.latenciesMs);
              record.runs.push({
                round,
                samples: sample.latenciesMs.length,
                lost: sample.lost,
                ...summary,
                ...(sample.detail ? { detail: sample.detail } : {}),
              });
              record.samples.push(...sample.latenciesMs);
              record.lost += sample.lost;
              context.log(
                `  ${spec.id} ${variant.id}: p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms, max ${summary.maxMs.toFixed(1)} ms, lost ${sample.lost}${sample.detail ? `; ${sample.detail}` : ''}`,
              );
            } catch (error) {
              record.errors.push(describeError(error));
              context.log(`  ${spec.id} ${variant.id}: failed: ${describeError(error)}`);
            }
          }
        }
      }
    }

    const results: CaseResult[] = [];
    for (const spec of cases) {
      if (spec.kind === 'memory') {
        context.stack.checkAlive();
        results.push(await measureMemory(spec, context));
        continue;
      }
      const entry = live.find((l) => l.spec === spec);
      const session = entry?.session ?? { failed: 'not set up' };
      if (spec.kind === 'throughput') {
        results.push(
          throughputResult(
            spec,
            session as Live['session'],
            (id) => throughput.get(key(spec.id, id)),
            settings,
          ),
        );
      } else {
        results.push(
          lagResult(spec, session as Live['session'], (id) => lag.get(key(spec.id, id)), settings),
        );
      }
    }
    return results;
  } finally {
    for (const { session } of live.reverse()) {
      if (!('failed' in session)) await session.close().catch(() => {});
    }
  }
}

function statusOf(
  session: CaseSession<unknown> | { failed: string },
  variant: VariantSpec,
  measured: boolean,
  errors: readonly string[],
  noSuccess?: string,
): { status: 'measured' | 'missing' | 'failed'; reason?: string } {
  if ('failed' in session) return { status: 'failed', reason: `case set-up failed: ${session.failed}` };
  const prepared: Prepared<unknown> | undefined = session.variants[variant.id];
  if (!prepared) return { status: 'failed', reason: 'the case did not prepare this variant' };
  if ('missing' in prepared) return { status: 'missing', reason: prepared.missing };
  if ('failed' in prepared) return { status: 'failed', reason: prepared.failed };
  if (!measured) return { status: 'failed', reason: errors[0] ?? 'no run completed' };
  if (noSuccess)
    return { status: 'measured', reason: `no operation succeeded in any run (first error: ${noSuccess})` };
  return errors.length
    ? { status: 'measured', reason: `${errors.length} run(s) failed: ${errors[0]}` }
    : { status: 'measured' };
}

function throughputResult(
  spec: ThroughputCase,
  session: Live['session'],
  recorded: (variantId: string) => Recorded<ThroughputRun> | undefined,
  settings: BenchSettings,
): CaseResult {
  const rounds = (id: string) => {
    const runs = recorded(id)?.runs ?? [];
    const byRound: (number | undefined)[] = [];
    for (const run of runs) byRound[run.round - 1] = run.opsPerSec;
    return byRound;
  };
  const baselineRounds = rounds(spec.baseline);
  const variants: ThroughputVariantResult[] = spec.variants.map((variant) => {
    const record = recorded(variant.id);
    const runs = record?.runs ?? [];
    const noSuccess =
      runs.length > 0 && runs.every((r) => r.ops === 0) ? (runs[0]?.firstError ?? 'none') : undefined;
    const status = statusOf(session, variant, runs.length > 0, record?.errors ?? [], noSuccess);
    if (runs.length === 0) return { ...variant, ...status, runs };
    const ops = runs.map((r) => r.opsPerSec);
    const ratio = variant.id === spec.baseline ? undefined : pairedRatio(rounds(variant.id), baselineRounds);
    return {
      ...variant,
      ...status,
      runs,
      median: {
        opsPerSec: median(ops),
        p50Ms: median(runs.map((r) => r.p50Ms)),
        p99Ms: median(runs.map((r) => r.p99Ms)),
      },
      spread: spread(ops),
      ...(ratio ? { ratio: { against: spec.baseline, ...ratio } } : {}),
    };
  });
  return {
    kind: 'throughput',
    id: spec.id,
    title: spec.title,
    unit: spec.unit,
    driver: spec.driver(settings),
    baseline: spec.baseline,
    variants,
    notes: spec.notes,
  };
}

function lagResult(
  spec: LagCase,
  session: Live['session'],
  recorded: (variantId: string) => (Recorded<LagRun> & { samples: number[]; lost: number }) | undefined,
  settings: BenchSettings,
): CaseResult {
  const variants: LagVariantResult[] = spec.variants.map((variant) => {
    const record = recorded(variant.id);
    const runs = record?.runs ?? [];
    const status = statusOf(session, variant, runs.length > 0, record?.errors ?? []);
    if (!record || runs.length === 0) return { ...variant, ...status, runs };
    return {
      ...variant,
      ...status,
      runs,
      overall: { samples: record.samples.length, lost: record.lost, ...summarizeLatencies(record.samples) },
      p99Spread: spread(runs.map((r) => r.p99Ms)),
    };
  });
  return {
    kind: 'lag',
    id: spec.id,
    title: spec.title,
    driver: spec.driver(settings),
    variants,
    notes: spec.notes,
  };
}

async function measureMemory(
  spec: Extract<BenchCase, { kind: 'memory' }>,
  context: BenchContext,
): Promise<MemoryCaseResult> {
  context.log(`memory: ${spec.id}`);
  let measured: readonly MemoryCaseResult['entries'][number][] = [];
  let failure: string | undefined;
  try {
    measured = await spec.measure(context);
  } catch (error) {
    failure = describeError(error);
  }
  const entries = spec.entries.map(
    (entry) =>
      measured.find((m) => m.id === entry.id) ?? {
        ...entry,
        status: 'failed' as const,
        reason: failure ?? 'not measured by the case',
      },
  );
  for (const e of entries)
    context.log(`  ${e.id}: ${e.bytes ?? e.status} ${e.bytes !== undefined ? 'B' : (e.reason ?? '')}`);
  return { kind: 'memory', id: spec.id, title: spec.title, entries, notes: spec.notes };
}
