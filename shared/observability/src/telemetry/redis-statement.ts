// Commands whose arguments can be credentials: only the command name is recorded.
const SECRET_BEARING = new Set(['AUTH', 'HELLO', 'MIGRATE', 'ACL', 'CONFIG']);
const SCRIPT_CALLS = new Set(['EVAL', 'EVAL_RO', 'EVALSHA', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);
const MAX_ARG_CHARS = 200;

function printable(arg: unknown): string {
  if (typeof arg === 'string') return arg.length > MAX_ARG_CHARS ? `${arg.slice(0, MAX_ARG_CHARS)}…` : arg;
  if (typeof arg === 'number') return String(arg);
  return '?';
}

/**
 * The `db.query.text` of ioredis spans: the command, its key(s), and a count of the remaining arguments.
 * The instrumentation's default records every argument of EVAL/EVALSHA, which for our scripts means
 * session payloads and token hashes; values (SET, HSET, XADD fields) and credentials never belong in a
 * trace, while keys are what an operator needs to find a hot spot.
 */
export function redisStatementSerializer(command: string, args: readonly unknown[]): string {
  const name = command.toUpperCase();
  if (args.length === 0 || SECRET_BEARING.has(name)) return name;
  if (SCRIPT_CALLS.has(name)) {
    const numKeys = Number(args[1]);
    if (!Number.isInteger(numKeys) || numKeys < 0) return name;
    const target = name.startsWith('EVAL') && !name.startsWith('EVALSHA') ? '<script>' : printable(args[0]);
    const keys = args.slice(2, 2 + numKeys).map(printable);
    const rest = Math.max(0, args.length - 2 - numKeys);
    return [name, target, String(numKeys), ...keys, ...(rest > 0 ? [`[${rest} other arguments]`] : [])].join(
      ' ',
    );
  }
  const rest = args.length - 1;
  return rest > 0
    ? `${name} ${printable(args[0])} [${rest} other arguments]`
    : `${name} ${printable(args[0])}`;
}
