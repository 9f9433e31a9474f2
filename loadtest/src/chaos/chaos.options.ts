import path from 'node:path';
import { positiveOption, readOptions } from '../cli-support';
import { CLUSTER_FAULT_IDS } from './cluster/stack-faults';
import { FAULT_IDS, type FaultId } from './faults';

/** USER_CACHE_L1_TTL of a run with `--l1` (the user service's default). */
export const L1_TTL_MS = 1000;

/** The assumed per-request budget for dependency work (REQUEST_BUDGET of the user and auth services). */
export const DEFAULT_REQUEST_BUDGET_MS = 2000;
/** How far past its budget an answer may come before it counts as hung. */
export const DEADLINE_MARGIN_MS = 250;

/** What `npm run chaos` was asked to do. */
export interface ChaosOptions {
  readonly mode: 'full' | 'short';
  /**
   * The state Redis: one node (the single-node faults, reports `chaos.*`), or the 3 + 3 Redis Cluster of
   * `REDWIRE_REDIS_TOPOLOGY=cluster` (its failover faults, reports `chaos-cluster.*`). @default single
   */
  readonly topology: 'single' | 'cluster';
  /**
   * REDWIRE_INSTANCES: with 2 or more, every service runs that many times (gateway i → user i, auth i), the
   * load is spread over every gateway, and the faults hit one instance while the others serve; reports
   * `chaos-instances.*`. @default 1 (two gateways in front of one of each other service)
   */
  readonly instances: number;
  /**
   * The user services' in-process L1 on (USER_CACHE_L1=true, its TTL `L1_TTL_MS`): the stale-read check
   * then allows the L1's stated bound. @default false (the stack's default)
   */
  readonly l1: boolean;
  /** Signed-in users driving load (plus one probe user). */
  readonly users: number;
  /** Anonymous readers, each on its own address. */
  readonly anonymous: number;
  /** Each user sends one request per this many ms. */
  readonly userIntervalMs: number;
  /** Load before the baseline is measured (connections, JIT, caches), reported in the timeline only. */
  readonly warmupMs: number;
  /** Load before the first fault. */
  readonly baselineMs: number;
  /** How long a freeze lasts (SIGSTOP → SIGCONT). */
  readonly freezeMs: number;
  /** How long a killed Redis or PostgreSQL stays down before it is started again with its data. */
  readonly downMs: number;
  /** Load after each fault ended, before the next one. */
  readonly recoveryMs: number;
  /** The faults to inject, in order. */
  readonly faults: readonly FaultId[];
  /** An answer slower than this is hung: the request budget plus the margin. */
  readonly hungAfterMs: number;
  /** The request budget the deadline was derived from (reported). */
  readonly requestBudgetMs: number;
  /** Where chaos.json/md/html go. */
  readonly outDir: string;
  /** Keep Redis and PostgreSQL data here; a fresh temporary folder (removed afterwards) when undefined. */
  readonly dataDir: string | undefined;
  /** Also write every request as a JSON line here, for analysis. @default none */
  readonly recordsFile: string | undefined;
}

// Sized for two cores shared with the whole stack (and, here, other people's work): 20 users × 4/s plus the
// probes is ~130 requests/s, well inside what the stack serves on an idle machine of this size.
const FULL = {
  users: 20,
  anonymous: 4,
  warmupMs: 4000,
  baselineMs: 8000,
  freezeMs: 4000,
  downMs: 2000,
  recoveryMs: 8000,
};
const SHORT = {
  users: 12,
  anonymous: 2,
  warmupMs: 1000,
  baselineMs: 3000,
  freezeMs: 2000,
  downMs: 1000,
  recoveryMs: 3500,
};

export const USAGE = `npm run chaos [-- options]
  --short              CI-sized run (also CHAOS_SHORT=1): ${SHORT.users} users, ${SHORT.freezeMs / 1000} s freezes, ${SHORT.recoveryMs / 1000} s after each fault
  --users N            signed-in users (default ${FULL.users})
  --freeze S           seconds a frozen process stays frozen (default ${FULL.freezeMs / 1000})
  --down S             seconds a killed Redis/PostgreSQL stays down before its restart (default ${FULL.downMs / 1000})
  --recovery S         seconds of load after each fault (default ${FULL.recoveryMs / 1000})
  --only a,b           only these faults, in this order; ids: ${FAULT_IDS.join(', ')}
                       (with --topology cluster: ${CLUSTER_FAULT_IDS.join(', ')})
  --request-budget MS  the services' REQUEST_BUDGET (default ${DEFAULT_REQUEST_BUDGET_MS}); hung = slower than budget + ${DEADLINE_MARGIN_MS} ms
  --hung-after MS      the hung threshold itself (overrides --request-budget)
  --out DIR            results folder (default loadtest/results)
  --data-dir DIR       keep Redis/PostgreSQL data here (default: REDWIRE_DATA_DIR, else a temporary folder)
  --records FILE       also write every request as a JSON line (kind, gateway, start, end, status, code…)
  --topology cluster   the state Redis on a 3 + 3 Redis Cluster (also CHAOS_TOPOLOGY=cluster): its failover
                       faults under the same load, written to chaos-cluster.{json,md} (loadtest/README.md)
  --l1                 the user services' in-process L1 on (USER_CACHE_L1=true, TTL ${L1_TTL_MS} ms); stale reads
                       are then judged by its bound: never older than a write acknowledged one TTL earlier
  --instances N        N of every service (REDWIRE_INSTANCES, 1 to 16), the load over all N gateways; the
                       faults (no partition) hit instance 1 or 2; written to chaos-instances.{json,md}
Ports: REDWIRE_*_PORT as for npm start (unset ones get free ports); the second gateway takes
REDWIRE_GATEWAY2_PORT / REDWIRE_GATEWAY2_ADMIN_PORT.
`;

/**
 * The single-node faults a run of `instances` can inject: with several instances the gateways are the
 * instances' own, and the partition needs a gateway of its own behind its link.
 */
export function instanceFaults(instances: number): readonly FaultId[] {
  return instances > 1 ? FAULT_IDS.filter((id) => id !== 'gateway-partition') : FAULT_IDS;
}

/** Parses argv (after the script) and CHAOS_SHORT; throws with the usage on bad input. */
export function parseChaosOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  repoRoot: string,
): ChaosOptions {
  let short = env.CHAOS_SHORT === '1' || env.CHAOS_SHORT === 'true';
  const given: Partial<Record<'users' | 'freezeMs' | 'downMs' | 'recoveryMs', number>> = {};
  let topology: ChaosOptions['topology'] = env.CHAOS_TOPOLOGY === 'cluster' ? 'cluster' : 'single';
  let only: string[] | undefined;
  let instances = 1;
  let l1 = false;
  let requestBudgetMs = DEFAULT_REQUEST_BUDGET_MS;
  let hungAfterMs: number | undefined;
  let outDir = path.join(repoRoot, 'loadtest', 'results');
  let recordsFile: string | undefined;
  let dataDir = env.REDWIRE_DATA_DIR ? path.resolve(env.REDWIRE_DATA_DIR) : undefined;
  readOptions(argv, USAGE, (arg, value) => {
    if (arg === '--short') short = true;
    else if (arg === '--l1') l1 = true;
    else if (arg === '--users') given.users = Math.round(positiveOption(arg, value(), USAGE));
    else if (arg === '--freeze') given.freezeMs = positiveOption(arg, value(), USAGE) * 1000;
    else if (arg === '--down') given.downMs = positiveOption(arg, value(), USAGE) * 1000;
    else if (arg === '--recovery') given.recoveryMs = positiveOption(arg, value(), USAGE) * 1000;
    else if (arg === '--request-budget') requestBudgetMs = positiveOption(arg, value(), USAGE);
    else if (arg === '--hung-after') hungAfterMs = positiveOption(arg, value(), USAGE);
    else if (arg === '--out') outDir = path.resolve(value());
    else if (arg === '--data-dir') dataDir = path.resolve(value());
    else if (arg === '--records') recordsFile = path.resolve(value());
    else if (arg === '--only') only = value().split(',').filter(Boolean);
    else if (arg === '--instances') {
      instances = Number(value());
      if (!Number.isInteger(instances) || instances < 1 || instances > 16)
        throw new Error(`--instances must be a whole number from 1 to 16\n${USAGE}`);
    } else if (arg === '--topology') {
      const v = value();
      if (v !== 'single' && v !== 'cluster')
        throw new Error(`--topology must be single or cluster\n${USAGE}`);
      topology = v;
    } else return false;
    return true;
  });
  if (instances > 1 && topology === 'cluster')
    throw new Error(`--instances and --topology cluster are separate runs: choose one\n${USAGE}`);
  const known: readonly string[] = topology === 'cluster' ? CLUSTER_FAULT_IDS : instanceFaults(instances);
  const unknown = (only ?? []).filter((id) => !known.includes(id));
  if (unknown.length > 0)
    throw new Error(`unknown fault ${unknown.join(', ')} for the ${topology} topology\n${USAGE}`);
  const faults = (only ?? known) as FaultId[];
  const base = short ? SHORT : FULL;
  return {
    mode: short ? 'short' : 'full',
    topology,
    instances,
    l1,
    users: given.users ?? base.users,
    anonymous: base.anonymous,
    userIntervalMs: 250,
    warmupMs: base.warmupMs,
    baselineMs: base.baselineMs,
    freezeMs: given.freezeMs ?? base.freezeMs,
    downMs: given.downMs ?? base.downMs,
    recoveryMs: given.recoveryMs ?? base.recoveryMs,
    faults,
    hungAfterMs: hungAfterMs ?? requestBudgetMs + DEADLINE_MARGIN_MS,
    requestBudgetMs,
    outDir,
    dataDir,
    recordsFile,
  };
}
