import type { CacheRead } from '@redwire/cache';
import type { UserCache } from '../cache/user-cache';
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
 * outbox event together, then invalidates the cache before answering (read-your-writes, the cache's
 * `write`: the transaction leaves the invalidation its own budget within the request's deadline). If that
 * invalidation fails or the process dies first, the outbox event invalidates it shortly after.
 */
export class UserService {
  readonly #deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#deps = deps;
  }

  /** Reads one user through the cache. */
  get(id: string): Promise<CacheRead<User>> {
    return this.#deps.cache.get(id);
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
    return this.#write(
      () => this.#deps.repository.update(id, patch, { expectedVersions, trace: this.#trace() }),
      (result) => (result.kind === 'updated' ? result.event : undefined),
    );
  }

  async delete(id: string): Promise<DeleteResult> {
    return this.#write(
      () => this.#deps.repository.delete(id, this.#trace()),
      (result) => (result.kind === 'deleted' ? result.event : undefined),
    );
  }

  async create(input: { id: string; email: string; name: string }): Promise<CreateResult> {
    return this.#write(
      () => this.#deps.repository.create(input, this.#trace()),
      (result) => (result.kind === 'created' ? result.event : undefined),
    );
  }

  /** Commits through the cache's write path; the event says what to invalidate. */
  #write<R>(transaction: () => Promise<R>, eventOf: (result: R) => UserEvent | undefined): Promise<R> {
    return this.#deps.cache.write(transaction, async (result) => {
      const event = eventOf(result);
      if (!event) return undefined;
      await this.#deps.hooks?.afterCommit?.(event);
      return { id: event.userId, version: event.version, occurredAt: event.occurredAt };
    });
  }

  #trace(): TraceCarrier {
    return this.#deps.traceContext?.() ?? {};
  }
}
