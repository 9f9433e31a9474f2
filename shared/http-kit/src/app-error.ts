import { STATUS_CODES } from 'node:http';

/** RFC 9457 `type` for problems that need no type of their own: `code` is the discriminator. */
export const ABOUT_BLANK = 'about:blank';

/** Options of {@link AppError}. */
export interface AppErrorOptions {
  /** Stable machine-readable code, e.g. `E_USER_NOT_FOUND`. */
  readonly code: string;
  /** HTTP status. */
  readonly status: number;
  /**
   * Client-facing explanation of this occurrence. Write it for the client: never put driver, SQL or Redis
   * text here (put the original error in `cause`).
   * @default the title
   */
  readonly detail?: string;
  /**
   * Short summary of the problem type.
   * @default the HTTP reason phrase of `status` (RFC 9457 asks for it when `type` is `about:blank`)
   */
  readonly title?: string;
  /**
   * Problem type URI.
   * @default 'about:blank'
   */
  readonly type?: string;
  /** The underlying error, logged but never sent. */
  readonly cause?: unknown;
  /** Extension members written into the problem body, e.g. `{ errors }` or `{ 'violated-policies': [...] }`. */
  readonly extensions?: Readonly<Record<string, unknown>>;
  /** Response headers to send with the problem, e.g. `Retry-After`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The one error type the HTTP layer maps to a response. Everything else thrown in a request becomes a
 * generic 500 `E_INTERNAL`. Build instances through the `errors` factories rather than by hand.
 */
export class AppError extends Error {
  override readonly name: string;
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(options: AppErrorOptions) {
    const title = options.title ?? STATUS_CODES[options.status] ?? 'Error';
    const detail = options.detail ?? title;
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(options.status) || options.status < 400 || options.status > 599) {
      throw new RangeError(`AppError status must be 400–599, got ${options.status}`);
    }
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
    this.title = title;
    this.detail = detail;
    this.type = options.type ?? ABOUT_BLANK;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** True when `err` is an {@link AppError}, optionally with the given `code`. */
export function isAppError(err: unknown, code?: string): err is AppError {
  return err instanceof AppError && (code === undefined || err.code === code);
}
