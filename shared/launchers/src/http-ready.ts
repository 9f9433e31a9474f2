import { pollUntil } from './poll-until';

/** Whether `url` answers 200 within a second (the body is read and dropped). */
export async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** Options of {@link waitForReady}. */
export interface ReadyOptions {
  /** @default 60000 (a busy 2-core machine starting several services at once is slow) */
  readonly timeoutMs?: number;
  /** A reason to stop waiting at once (a service died, the caller is stopping). @default never */
  readonly abort?: () => string | undefined;
}

/**
 * Polls every URL (a service's /readyz or /healthz) until each has answered 200 once; rejects with the
 * ones still pending when the deadline passes, or with `abort()`'s reason.
 */
export async function waitForReady(urls: readonly string[], options: ReadyOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, abort } = options;
  const pending = new Set(urls);
  await pollUntil(
    async () => {
      await Promise.all([...pending].map(async (url) => (await answers200(url)) && pending.delete(url)));
      return pending.size === 0;
    },
    {
      what: 'ready',
      timeoutMs,
      intervalMs: 150,
      ...(abort ? { abort } : {}),
      detail: () => `still not ready: ${[...pending].join(', ')}`,
    },
  );
}
