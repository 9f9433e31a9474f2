import { runOutsideDeadline, runWithReserve } from '@redwire/deadline';
import type { CacheRead, UserCache } from '../cache/user-cache';
import type { TraceCarrier, User, UserEvent } from './user.model';
import type { CreateResult, DeleteResult, UpdateResult, UserRepository } from './user.repository';

/** Fault-injection points for tests ("the process dies between commit and invalidation"). */
export interface UserServiceHooks {
  /** Runs after a write committed and before its synchronous invalidation; a throw skips the invalidation. */
  afterCommit?: (event: UserEvent) => Promise<void>;
}

/** Dependencies of {@link UserService}. */
export interface UserServiceDeps {
  readonly repository: UserRepository;
  readonly cache: UserCache;
  /** The W3C trace context of the current request, stored with its outbox event. @default none */
  readonly traceContext?: () => TraceCarrier;
  /** Test-only fault injection. @default none */
  readonly hooks?: UserServiceHooks;
}

/**
 * The use cases behind the HTTP routes. Reads go through the cache; each write commits the row and its
 * outbox event together, then invalidates the cache before answering (read-your-writes). If that
 * invalidation fails or the process dies first, the outbox event invalidates it shortly after.
 *
 * Within a request's deadline, a write's transaction must end early enough to leave the invalidation its
 * own budget (`invalidationBudgetMs`); the invalidation then runs on that budget, outside the request's
 * deadline, so a committed write is never left uninvalidated because the request ran out of time.
 */
export class UserService {
  readonly #deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#deps = deps;
  }

  /** Reads one user through the cache. */
  get(id: string): Promise<CacheRead> {
    return this.#deps.cache.read(id);
  }

  /** One page in id order; `limit + 1` rows are read to know whether another page exists. */
  async list(after: string | undefined, limit: number): Promise<{ items: User[]; hasMore: boolean }> {
    const rows = await this.#deps.repository.list(after, limit + 1);
    return { items: rows.slice(0, limit), hasMore: rows.length > limit };
  }

  async update(
    id: string,
    patch: { name?: string | undefined; bio?: string | undefined },
    expectedVersions: readonly number[] | undefined,
  ): Promise<UpdateResult> {
    const result = await this.#write(() =>
      this.#deps.repository.update(id, patch, { expectedVersions, trace: this.#trace() }),
    );
    if (result.kind === 'updated') await this.#afterCommit(result.event);
    return result;
  }

  async delete(id: string): Promise<DeleteResult> {
    const result = await this.#write(() => this.#deps.repository.delete(id, this.#trace()));
    if (result.kind === 'deleted') await this.#afterCommit(result.event);
    return result;
  }

  async create(input: { id: string; email: string; name: string }): Promise<CreateResult> {
    const result = await this.#write(() => this.#deps.repository.create(input, this.#trace()));
    if (result.kind === 'created') await this.#afterCommit(result.event);
    return result;
  }

  /** Runs a write's transaction so that it leaves the synchronous invalidation its budget. */
  #write<T>(transaction: () => Promise<T>): Promise<T> {
    return runWithReserve(this.#deps.cache.options.invalidationBudgetMs, transaction);
  }

  #trace(): TraceCarrier {
    return this.#deps.traceContext?.() ?? {};
  }

  async #afterCommit(event: UserEvent): Promise<void> {
    await this.#deps.hooks?.afterCommit?.(event);
    await runOutsideDeadline(() =>
      this.#deps.cache.invalidate(event.userId, event.version, {
        path: 'sync',
        occurredAt: event.occurredAt,
      }),
    );
  }
}
