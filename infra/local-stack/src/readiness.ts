/** Polls each URL until it answers 200, or rejects when the deadline passes or `aborted()` turns true. */
export async function waitForReady(
  urls: readonly string[],
  timeoutMs: number,
  aborted: () => string | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0) {
    const reason = aborted();
    if (reason) throw new Error(reason);
    if (Date.now() > deadline)
      throw new Error(`not ready within ${timeoutMs} ms: ${[...pending].join(', ')}`);
    await Promise.all(
      [...pending].map(async (url) => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
          await response.arrayBuffer();
          if (response.status === 200) pending.delete(url);
        } catch {
          // not listening yet
        }
      }),
    );
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 150));
  }
}
