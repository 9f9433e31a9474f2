// What Redis says it spent: `INFO commandstats` (per-command calls and µs inside the command) and
// `INFO cpu` (the server process's user + system CPU seconds, network I/O and event loop included).
// Deltas around a measured run divided by the run's operations give Redis time per operation.

/** One command's counters from `INFO commandstats`. */
export interface CommandCounters {
  readonly calls: number;
  /** Microseconds spent executing the command (not reading or writing the socket). */
  readonly usec: number;
}

/** A point-in-time reading of one Redis server's counters. */
export interface RedisReading {
  /** By lower-case command name (`evalsha`, `get`, `xadd`, `client|setname`). */
  readonly commands: ReadonlyMap<string, CommandCounters>;
  /** used_cpu_user + used_cpu_sys, in seconds. */
  readonly cpuSeconds: number;
}

/**
 * Parses `INFO commandstats` text: lines `cmdstat_<name>:calls=N,usec=N,usec_per_call=N.NN,…`. Any other
 * line (section headers, blank lines, other sections) is ignored.
 */
export function parseCommandstats(info: string): Map<string, CommandCounters> {
  const commands = new Map<string, CommandCounters>();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):(.*)$/.exec(line.trim());
    if (!match) continue;
    const fields = new Map(
      (match[2] as string).split(',').map((pair) => {
        const eq = pair.indexOf('=');
        return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
      }),
    );
    const calls = Number(fields.get('calls'));
    const usec = Number(fields.get('usec'));
    if (!Number.isFinite(calls) || !Number.isFinite(usec)) {
      throw new Error(`commandstats: cannot read calls/usec in "${line.trim()}"`);
    }
    commands.set((match[1] as string).toLowerCase(), { calls, usec });
  }
  return commands;
}

/** used_cpu_user + used_cpu_sys from `INFO cpu` text, in seconds; throws when either is missing. */
export function parseCpuSeconds(info: string): number {
  const field = (name: string) => {
    const match = new RegExp(`^${name}:([0-9.]+)\\s*$`, 'm').exec(info);
    if (!match) throw new Error(`INFO cpu: no ${name}`);
    return Number(match[1]);
  };
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** Anything that can send `INFO <section>` (an ioredis client). */
export interface InfoClient {
  info(section: string): Promise<string>;
}

/** Reads both sections (two commands: commandstats first, so the cpu reading covers the first INFO). */
export async function readRedis(client: InfoClient): Promise<RedisReading> {
  const commands = parseCommandstats(await client.info('commandstats'));
  const cpuSeconds = parseCpuSeconds(await client.info('cpu'));
  return { commands, cpuSeconds };
}

/** What changed between two readings. */
export interface RedisDelta {
  /** By command: calls and µs during the interval (commands with no calls left out). */
  readonly commands: Map<string, CommandCounters>;
  /** Redis CPU seconds used during the interval. */
  readonly cpuSeconds: number;
}

/**
 * `after − before`. `exclude` drops commands the measurement sent itself (`info`). A counter that went
 * down (CONFIG RESETSTAT, a restarted server) throws: the interval cannot be measured.
 */
export function diffReadings(
  before: RedisReading,
  after: RedisReading,
  exclude: readonly string[] = ['info'],
): RedisDelta {
  const commands = new Map<string, CommandCounters>();
  for (const [name, now] of after.commands) {
    if (exclude.includes(name)) continue;
    const then = before.commands.get(name) ?? { calls: 0, usec: 0 };
    const calls = now.calls - then.calls;
    const usec = now.usec - then.usec;
    if (calls < 0 || usec < 0) throw new Error(`commandstats went backwards for ${name} (stats reset?)`);
    if (calls > 0) commands.set(name, { calls, usec });
  }
  const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
  if (cpuSeconds < 0) throw new Error('used_cpu went backwards (server restarted?)');
  return { commands, cpuSeconds };
}

/** Sums deltas (several measured windows of one operation, with unmeasured set-up in between). */
export function addDeltas(a: RedisDelta, b: RedisDelta): RedisDelta {
  const commands = new Map(a.commands);
  for (const [name, c] of b.commands) {
    const prev = commands.get(name) ?? { calls: 0, usec: 0 };
    commands.set(name, { calls: prev.calls + c.calls, usec: prev.usec + c.usec });
  }
  return { commands, cpuSeconds: a.cpuSeconds + b.cpuSeconds };
}

/** The empty delta. */
export const NO_DELTA: RedisDelta = { commands: new Map(), cpuSeconds: 0 };

/** Redis cost of one operation, from a delta over `ops` operations. */
export interface RedisCostPerOp {
  /** Operations measured. */
  readonly ops: number;
  /**
   * usec of EVAL/EVALSHA/FCALL ÷ ops: time running scripts, the commands they call included. Redis also
   * counts each command a script calls under that command's own name, so the two are never summed.
   */
  readonly scriptUsec: number;
  /** usec of every other command ÷ ops, the ones scripts called included (see `scriptUsec`). */
  readonly otherUsec: number;
  /** (used_cpu_user + used_cpu_sys) delta ÷ ops: everything the server process spent, I/O included. */
  readonly cpuUsec: number;
  /** Commands per operation, those called from scripts included (Redis counts them alike). */
  readonly calls: number;
  /** Per command: calls per operation and µs per operation. */
  readonly byCommand: Readonly<Record<string, { readonly calls: number; readonly usec: number }>>;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Commands that run a script: their usec includes the commands the script calls. */
const SCRIPT_COMMANDS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/** Divides a delta by the operations it covered (rounded for the report). */
export function perOperation(delta: RedisDelta, ops: number): RedisCostPerOp {
  if (!(ops > 0)) throw new Error('perOperation: no operations measured');
  let scriptUsec = 0;
  let otherUsec = 0;
  let calls = 0;
  const byCommand: Record<string, { calls: number; usec: number }> = {};
  for (const [name, c] of [...delta.commands].sort((x, y) => y[1].usec - x[1].usec)) {
    if (SCRIPT_COMMANDS.has(name)) scriptUsec += c.usec;
    else otherUsec += c.usec;
    calls += c.calls;
    byCommand[name] = { calls: round(c.calls / ops, 3), usec: round(c.usec / ops, 3) };
  }
  return {
    ops,
    scriptUsec: round(scriptUsec / ops, 3),
    otherUsec: round(otherUsec / ops, 3),
    cpuUsec: round((delta.cpuSeconds * 1e6) / ops, 3),
    calls: round(calls / ops, 3),
    byCommand,
  };
}
