import path from 'node:path';

/** What `npm run soak` was asked to do. */
export interface SoakOptions {
  readonly minutes: number;
  /** Seconds between samples. */
  readonly sampleSeconds: number;
  readonly users: number;
  readonly userIntervalMs: number;
  readonly anonymous: number;
  /** A login + logout of some user every this many ms (sessions come and go, as in production). */
  readonly sessionChurnMs: number;
  /** Where soak.json/md go. */
  readonly outDir: string;
}

export const USAGE = `npm run soak [-- options]
  --minutes N    how long to run the load (default 30)
  --sample S     seconds between samples (default: 30, or minutes × 6 when shorter, at least 5)
  --users N      signed-in users, one request each every 500 ms (default 30)
  --out DIR      results folder (default loadtest/results)
Ports: REDWIRE_*_PORT as for npm start (unset ones get free ports).
`;

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${text}"\n${USAGE}`);
  return value;
}

export function parseSoakOptions(argv: readonly string[], repoRoot: string): SoakOptions {
  let minutes = 30;
  let sampleSeconds: number | undefined;
  let users = 30;
  let outDir = path.join(repoRoot, 'loadtest', 'results');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--minutes') minutes = positive(arg, value());
    else if (arg === '--sample') sampleSeconds = positive(arg, value());
    else if (arg === '--users') users = Math.round(positive(arg, value()));
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return {
    minutes,
    sampleSeconds: sampleSeconds ?? Math.max(5, Math.min(30, minutes * 6)),
    users,
    userIntervalMs: 500,
    anonymous: 2,
    sessionChurnMs: 2000,
    outDir,
  };
}
