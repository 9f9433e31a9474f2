/** A log method in pino's calling convention: a bindings object first, then the message. */
export type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/**
 * The logging surface the kit needs. A pino logger satisfies it; tests can pass a recorder. The kit logs
 * errors under `err` so pino's error serializer (stack, cause chain) applies.
 */
export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
}

/** A logger that drops everything, for components whose logger is optional. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {} };
