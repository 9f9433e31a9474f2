import path from 'node:path';
import { positiveOption, readOptions } from '../cli-support';

/** What `npm run soak` was asked to do. */
export interface SoakOptions {
  readonly minutes: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  readonly users: number;
  readonly userIntervalMs: number;
  readonly anonymous: number;
  /** A login of the next user every this many ms, every other one logged out at once (sessions come and go). */
  readonly sessionChurnMs: number;
  /** Where soak.json/md go. */
  readonly outDir: string;
  /** Instead of running: judge the samples of an earlier soak.json again (after a change to the verdicts). */
  readonly from: string | undefined;
}

export const USAGE = `npm run soak [-- options]
  --minutes N    how long to run the load (default 30)
  --sample S     seconds between samples (default: 30, or minutes × 6 when shorter, at least 5)
  --users N      signed-in users, one request each every 500 ms (default 30)
  --out DIR      results folder (default loadtest/results)
  --from FILE    run nothing: summarize the samples of an earlier soak.json again and rewrite the reports
Ports: REDWIRE_*_PORT as for npm start (unset ones get free ports).
`;

export function parseSoakOptions(argv: readonly string[], repoRoot: string): SoakOptions {
  let minutes = 30;
  let sampleSeconds: number | undefined;
  let users = 30;
  let outDir = path.join(repoRoot, 'loadtest', 'results');
  let from: string | undefined;
  readOptions(argv, USAGE, (arg, value) => {
    if (arg === '--minutes') minutes = positiveOption(arg, value(), USAGE);
    else if (arg === '--sample') sampleSeconds = positiveOption(arg, value(), USAGE);
    else if (arg === '--users') users = Math.round(positiveOption(arg, value(), USAGE));
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--from') from = path.resolve(value());
    else return false;
    return true;
  });
  return {
    minutes,
    sampleSeconds: sampleSeconds ?? Math.max(5, Math.min(30, minutes * 6)),
    users,
    userIntervalMs: 500,
    anonymous: 2,
    sessionChurnMs: 2000,
    outDir,
    from,
  };
}
