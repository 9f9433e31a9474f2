/** Thrown by {@link withDeadline} when the deadline passes before the work settles. */
export class DeadlineExceededError extends Error {
  override readonly name = 'DeadlineExceededError';
  constructor(readonly deadlineMs: number) {
    super(`no answer within ${deadlineMs} ms`);
  }
}

/**
 * Settles like `promise`, or rejects with {@link DeadlineExceededError} after `ms`. When the timer fires it
 * yields one event-loop turn before rejecting: a reply already sitting in the socket is read in that turn's
 * poll phase and wins, so a busy event loop (late timer) is not mistaken for a slow Redis. The work itself
 * is not cancelled; its own failure later is swallowed here rather than left unhandled.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  // One promise and one timer: no async frame, Promise.race or finally, since request paths call it per call.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => setImmediate(() => reject(new DeadlineExceededError(ms))), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
