/**
 * Thrown by repositories when PostgreSQL cannot answer (down, unreachable, timed out, shutting down): a
 * request path maps it to 503, never to 500 (the user service may serve a cached value instead; auth
 * refuses logins while existing sessions keep working at the gateway).
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(cause: unknown) {
    super('database unavailable', { cause });
  }
}

// SQLSTATE classes and codes that mean "the database could not do it right now", not "your query is wrong".
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58']; // connection, resources, operator intervention, system
const UNAVAILABLE_CODES = new Set(['40001', '40P01', '55P03']); // serialization, deadlock, lock timeout
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND/;

/** True when `error` says PostgreSQL is unavailable rather than that a statement is invalid. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
    if (/^E[A-Z]+$/.test(code)) return true; // a Node socket error code
  }
  return UNAVAILABLE_MESSAGES.test(error.message);
}

/** Rethrows `error` as a {@link DatabaseUnavailableError} when it means "unavailable", unchanged otherwise. */
export function classifyDbError(error: unknown): never {
  if (error instanceof DatabaseUnavailableError) throw error;
  if (isUnavailable(error)) throw new DatabaseUnavailableError(error);
  throw error;
}

/** True for a unique-constraint violation on `constraint`. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && e.constraint === constraint;
}
