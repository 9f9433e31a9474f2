import type { Logger } from './logger';

/** A dependency a service waits for at start-up. */
export interface Dependency {
  /** Its name in the log (`state redis`, `postgres`). */
  readonly name: string;
  /** Resolves once the dependency answers, rejects if it does not within `timeoutMs` (redis-kit `waitForReady`). */
  readonly ready: (timeoutMs: number) => Promise<unknown>;
  /** What the service does until the dependency is there, logged with the warning ("answers 503"). */
  readonly meanwhile: string;
}

/** Options of {@link waitForDependencies}. */
export interface WaitForDependenciesOptions {
  /** How long start-up waits for all of them together. @default 5000 */
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/**
 * The one place a runtime waits for its dependencies, called from its `start()`: all of them in parallel,
 * each for at most `timeoutMs`. Never fatal — a service starts without a dependency and serves what it can
 * (its `/readyz` says what is missing); waiting only keeps the first requests from all being degraded.
 * Resolves to the names of the dependencies that were not ready, after logging a warning for each.
 */
export async function waitForDependencies(
  dependencies: readonly Dependency[],
  options: WaitForDependenciesOptions,
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const results = await Promise.allSettled(dependencies.map((d) => d.ready(timeoutMs)));
  const missing: string[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const dependency = dependencies[i] as Dependency;
    missing.push(dependency.name);
    options.logger.warn(
      { err: result.reason, dependency: dependency.name },
      `${dependency.name} not ready at start-up; ${dependency.meanwhile} until it is`,
    );
  });
  return missing;
}
