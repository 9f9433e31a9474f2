/** Probe and scrape endpoints: tracing or access-logging them buries real traffic under health checks. */
export const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);
