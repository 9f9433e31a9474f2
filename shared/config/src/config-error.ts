/** One invalid configuration key and what is wrong with it (never its value). */
export interface ConfigIssue {
  /** The env key or config path, e.g. `REDIS_URL` or `identity.signingKey`. */
  readonly key: string;
  /** What is wrong, phrased so it can be logged: it never contains the value. */
  readonly problem: string;
}

/**
 * Thrown when configuration is invalid. The message lists every bad key at once so an operator fixes
 * them in one pass; values are never included because they may be secrets.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], heading = 'Invalid configuration') {
    const lines = issues.map((issue) => `  - ${issue.key}: ${issue.problem}`);
    super(`${heading} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.issues = Object.freeze([...issues]);
  }
}
