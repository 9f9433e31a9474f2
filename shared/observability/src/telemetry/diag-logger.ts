import type { DiagLogger } from '@opentelemetry/api';

/**
 * A stderr diag logger for warnings and errors that repeats a given message at most once per interval.
 * Without any diag logger OTel drops export failures silently (a misconfigured endpoint looks like "no
 * traces"); with the console logger an unreachable collector prints an error every 5 s batch.
 */
export function throttledDiagLogger(
  write: (line: string) => void = (line) => process.stderr.write(line),
  intervalMs = 60_000,
): DiagLogger {
  const lastSeen = new Map<string, number>();
  const emit = (level: string, raw: string, args: unknown[]) => {
    const message = summarize(raw);
    const now = Date.now();
    const last = lastSeen.get(message);
    if (last !== undefined && now - last < intervalMs) return;
    if (lastSeen.size > 100) lastSeen.clear();
    lastSeen.set(message, now);
    const detail = args.map((a) =>
      a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a),
    );
    write(`[redwire/observability] ${level}: ${[message, ...detail].join(' ')}\n`);
  };
  const ignore = () => {};
  return {
    error: (message, ...args) => emit('error', message, args),
    warn: (message, ...args) => emit('warn', message, args),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}

// The SDK's error handler passes exceptions as JSON with their stack; the message is what an operator
// needs, and keying the throttle on it keeps one line per distinct failure.
function summarize(message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as { message?: unknown };
    return typeof parsed.message === 'string' ? `exception: ${parsed.message}` : message;
  } catch {
    return message;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
