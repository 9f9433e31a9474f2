/** Thrown by {@link withDeadline} when the deadline passes before the work settles. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    super(`no answer within ${deadlineMs} ms`);
  }
}

/**
 * Settles like `promise`, or rejects with {@link DeadlineExceededError} after `ms`. For calls whose client
 * has no deadline of its own or a longer one (a scrape-time count, an invalidation budget); the work itself
 * is not cancelled, so its own failure later is swallowed here rather than left unhandled.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceededError(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {});
  }
}
