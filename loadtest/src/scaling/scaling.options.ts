import path from 'node:path';
import { positiveOption, readOptions } from '../cli-support';
import type { ScalingSettings } from './scaling.types';

/** What `npm run scaling` was asked to do. */
export interface ScalingOptions {
  readonly settings: ScalingSettings;
  /** Where scaling.json/md go. */
  readonly outDir: string;
}

const FULL: ScalingSettings = {
  libraryDurationS: 4,
  callers: 64,
  httpDurationS: 8,
  httpRate: 1000,
  quietS: 1,
  misses: 2000,
};

/** Seconds, not minutes: proves the run works (CI), numbers not worth reading. */
const SMOKE: ScalingSettings = {
  libraryDurationS: 0.5,
  callers: 16,
  httpDurationS: 1,
  httpRate: 200,
  quietS: 0.2,
  // /proc counts CPU in 10 ms ticks: enough misses that PostgreSQL's share reads above zero.
  misses: 500,
};

export const USAGE = `npm run scaling [-- options]
  --smoke        every run a fraction of a second (proves it works; also SCALING_SMOKE=1)
  --duration S   seconds per library run (default ${FULL.libraryDurationS})
  --rate N       requests/s offered to each service process (default ${FULL.httpRate})
  --http S       seconds per service run (default ${FULL.httpDurationS})
  --out DIR      results folder (default loadtest/results)
`;

export function parseScalingOptions(
  argv: readonly string[],
  repoRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): ScalingOptions {
  let smoke = env.SCALING_SMOKE === '1';
  let duration: number | undefined;
  let rate: number | undefined;
  let http: number | undefined;
  let outDir = path.join(repoRoot, 'loadtest', 'results');
  readOptions(argv, USAGE, (arg, value) => {
    if (arg === '--smoke') smoke = true;
    else if (arg === '--duration') duration = positiveOption(arg, value(), USAGE);
    else if (arg === '--rate') rate = positiveOption(arg, value(), USAGE, true);
    else if (arg === '--http') http = positiveOption(arg, value(), USAGE);
    else if (arg === '--out') outDir = path.resolve(value());
    else return false;
    return true;
  });
  const base = smoke ? SMOKE : FULL;
  return {
    settings: {
      ...base,
      libraryDurationS: duration ?? base.libraryDurationS,
      httpRate: rate ?? base.httpRate,
      httpDurationS: http ?? base.httpDurationS,
    },
    outDir,
  };
}
