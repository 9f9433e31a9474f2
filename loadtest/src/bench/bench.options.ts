import path from 'node:path';
import { positiveOption, readOptions } from '../cli-support';
import type { BenchSettings } from './core/bench.types';
import { REPO_ROOT } from './stack/bench-stack';

/** What `npm run bench` was asked to do. */
export interface BenchOptions {
  readonly settings: BenchSettings;
  /** Where latest.json/md/html go. @default loadtest/results */
  readonly outDir: string;
  /** Only the cases with these ids (all when empty). @default all */
  readonly only: readonly string[];
}

const FULL = { rounds: 3, durationMs: 3500, warmupMs: 1000, lagWrites: 150 };
const SMOKE = { rounds: 2, durationMs: 1000, warmupMs: 0, lagWrites: 15 };

export const USAGE = `npm run bench [-- options]
  --smoke            every case ~1 s x 2 rounds (also BENCH_SMOKE=1): proves the suite works, numbers are rough
  --rounds N         rounds (>= 2; default ${FULL.rounds})
  --duration S       seconds per measured run (default ${FULL.durationMs / 1000})
  --out DIR          results folder (default loadtest/results)
  --only a,b         only these case ids
`;

/** Parses argv (after the script) and the BENCH_SMOKE switch; throws with the usage on bad input. */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let smoke = env.BENCH_SMOKE === '1' || env.BENCH_SMOKE === 'true';
  let rounds: number | undefined;
  let durationMs: number | undefined;
  let outDir = path.join(REPO_ROOT, 'loadtest', 'results');
  let only: string[] = [];
  readOptions(argv, USAGE, (arg, value) => {
    if (arg === '--smoke') smoke = true;
    else if (arg === '--rounds') rounds = positiveOption('--rounds', value(), USAGE, true);
    else if (arg === '--duration') durationMs = positiveOption('--duration', value(), USAGE) * 1000;
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--only') only = value().split(',').filter(Boolean);
    else return false;
    return true;
  });
  const base = smoke ? SMOKE : FULL;
  const settings: BenchSettings = {
    mode: smoke ? 'smoke' : 'full',
    rounds: rounds ?? base.rounds,
    durationMs: durationMs ?? base.durationMs,
    warmupMs: base.warmupMs,
    callers: 64,
    connections: 50,
    lagWrites: base.lagWrites,
  };
  if (settings.rounds < 2) throw new Error(`--rounds must be at least 2 (a spread needs two runs)\n${USAGE}`);
  return { settings, outDir, only };
}
