/**
 * The k6 runtime's console (https://grafana.com/docs/k6/latest/javascript-api/#console).
 * @types/k6 does not declare it, and k6 scripts must not pull in DOM or Node types to get it.
 */
declare const console: {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
};
