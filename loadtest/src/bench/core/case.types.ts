import type { BenchStack } from '../stack/bench-stack';
import type { BenchSettings, MemoryEntryResult, ThroughputSample, VariantRole } from './bench.types';

/** What a case's set-up gets. */
export interface BenchContext {
  readonly settings: BenchSettings;
  readonly stack: BenchStack;
  log(line: string): void;
}

/** A variant's identity, known before set-up so a failed set-up can still be reported. */
export interface VariantSpec {
  readonly id: string;
  readonly label: string;
  readonly role: VariantRole;
  /** One sentence: what exactly runs. */
  readonly description: string;
}

/** A prepared variant: runnable, or why it cannot run. */
export type Prepared<R> = { readonly run: R } | { readonly missing: string } | { readonly failed: string };

/** Thrown while preparing a variant whose redwire part does not exist (yet): reported as "not measured". */
export class MissingPartError extends Error {
  override name = 'MissingPartError';
}

/**
 * Builds a variant's runner; a MissingPartError becomes `missing`, any other throw `failed` with the
 * message, so one broken variant never sinks its case.
 */
export async function prepare<R>(build: () => Promise<R> | R): Promise<Prepared<R>> {
  try {
    return { run: await build() };
  } catch (error) {
    if (error instanceof MissingPartError) return { missing: error.message };
    return {
      failed: error instanceof Error ? error.message.split('\n').slice(0, 6).join(' | ') : String(error),
    };
  }
}

/** {@link prepare} for several variants at once, concurrently (e.g. child processes starting side by side). */
export async function prepareAll<R>(
  builders: Readonly<Record<string, () => Promise<R> | R>>,
): Promise<Record<string, Prepared<R>>> {
  const entries = await Promise.all(
    Object.entries(builders).map(async ([id, build]) => [id, await prepare(build)] as const),
  );
  return Object.fromEntries(entries);
}

export type ThroughputRunner = (durationMs: number) => Promise<ThroughputSample>;

/** Latencies (ms) of the writes a lag run observed, and how many it never saw applied. */
export interface LagSample {
  readonly latenciesMs: readonly number[];
  readonly lost: number;
  /** Anything the run saw that explains its tail (e.g. sync invalidations that fell back). */
  readonly detail?: string;
}

export type LagRunner = (writes: number) => Promise<LagSample>;

/** The live part of a case, between set-up and close. */
export interface CaseSession<R> {
  readonly variants: Readonly<Record<string, Prepared<R>>>;
  close(): Promise<void>;
}

interface CaseMeta {
  readonly id: string;
  readonly title: string;
  /** Shown under the case's table: what to know to read it. */
  readonly notes: readonly string[];
}

export interface ThroughputCase extends CaseMeta {
  readonly kind: 'throughput';
  readonly unit: string;
  readonly driver: (settings: BenchSettings) => string;
  readonly baseline: string;
  readonly variants: readonly VariantSpec[];
  setup(context: BenchContext): Promise<CaseSession<ThroughputRunner>>;
}

export interface LagCase extends CaseMeta {
  readonly kind: 'lag';
  readonly driver: (settings: BenchSettings) => string;
  readonly variants: readonly VariantSpec[];
  setup(context: BenchContext): Promise<CaseSession<LagRunner>>;
}

export interface MemoryCase extends CaseMeta {
  readonly kind: 'memory';
  readonly entries: readonly VariantSpec[];
  /** Measured once (the numbers are deterministic); entries absent from the reply are reported as failed. */
  measure(context: BenchContext): Promise<readonly MemoryEntryResult[]>;
}

export type BenchCase = ThroughputCase | LagCase | MemoryCase;
