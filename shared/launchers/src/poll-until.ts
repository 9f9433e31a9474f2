/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** What is awaited, named in the timeout error. @default 'condition' */
  readonly what?: string;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** Pause between two probes. @default 25 */
  readonly intervalMs?: number;
  /**
   * Asked before every probe: a reason to stop waiting at once (the process being waited for has exited),
   * thrown as the error. @default never
   */
  readonly abort?: () => string | undefined;
  /** Appended to the timeout error on its own lines, e.g. a process's last output. @default nothing */
  readonly detail?: () => string | Promise<string>;
}

type Falsy = undefined | null | false;

/**
 * Probes until `probe` returns something other than `undefined`, `null` or `false`, and resolves with it
 * (`true` for a boolean probe). A probe that throws has not succeeded yet; its last error becomes the
 * cause of the timeout error, `<what>: not within <timeoutMs> ms`.
 */
export async function pollUntil<T>(
  probe: () => T | Falsy | Promise<T | Falsy>,
  options: PollOptions = {},
): Promise<Exclude<T, Falsy>> {
  const { what = 'condition', timeoutMs = 10_000, intervalMs = 25, abort, detail } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = abort?.();
    if (reason !== undefined) throw new Error(reason);
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as Exclude<T, Falsy>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const extra = await detail?.();
      throw new Error(`${what}: not within ${timeoutMs} ms${extra ? `\n${extra}` : ''}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
