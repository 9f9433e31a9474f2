import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { RedisClient } from '../connection/redis-client.factory';
import { IdempotencyInProgressError } from '../errors';
import { positiveInt, redisClientSchema, resolveOptions } from '../internal/options';
import type { Keyspace } from '../keys/keyspace';
import { compareAndDelete, compareAndSet } from '../scripts/kit-scripts';

/** Options for an idempotency guard. */
export interface IdempotencyGuardOptions {
  /** A request-path client. Required. */
  client: RedisClient;
  /** The service's keyspace; marks live at `<prefix>:processed:<scope>:<id>`. Required. */
  keys: Keyspace;
  /** What the ids are unique within, usually the consumer group. Required. */
  scope: string;
  /** How long a completed id is remembered; redeliveries later than this run again. @default 86400000 (24 h) */
  doneTtlMs?: number;
  /**
   * How long a claim protects a running side effect. A crash leaves the claim to expire after this, and
   * the next delivery runs the effect again. Keep it above the slowest run and below the consumer's
   * claimIdleMs, so a redelivery finds the claim resolved.
   * @default 20000
   */
  leaseMs?: number;
}

/** The outcome of `runOnce`. */
export type OnceResult<T> = { executed: true; value: T } | { executed: false; reason: 'duplicate' };

const DONE = 'done';

const schema = z
  .object({
    client: redisClientSchema,
    keys: z.custom<Keyspace>(
      (v) => typeof v === 'object' && v !== null && 'tagged' in v,
      'must be a Keyspace',
    ),
    scope: z.string().min(1),
    doneTtlMs: positiveInt().default(86_400_000),
    leaseMs: positiveInt().default(20_000),
  })
  .refine((o) => o.doneTtlMs >= o.leaseMs, 'doneTtlMs must be >= leaseMs');

/**
 * Runs a side effect at most once per id under normal operation, and at least once across crashes.
 *
 * Protocol: claim `processed:<scope>:<id>` with a random token (SET NX PX leaseMs) BEFORE the effect, so two
 * consumers never run it concurrently; on success replace the token with `done` (kept doneTtlMs); on
 * failure delete the claim so a retry can run. The mark is final only AFTER the effect, so a crash mid-
 * effect cannot lose it (the claim expires and a redelivery runs it again): at-least-once, never
 * at-most-once. The window for a double run is a crash (or a lost reply) between the effect and the
 * `done` write; make effects idempotent themselves where that matters (versioned writes, DEL).
 */
export class IdempotencyGuard {
  private readonly options: z.output<typeof schema>;

  constructor(options: IdempotencyGuardOptions) {
    this.options = resolveOptions('IdempotencyGuard', schema, options);
  }

  /** The mark's key for an id. */
  keyFor(id: string): string {
    return this.options.keys.key('processed', this.options.scope, id);
  }

  /**
   * Runs `effect` unless `id` is already done. Throws IdempotencyInProgressError while another worker holds
   * the claim (a consumer leaves the entry pending and retries it later), or the effect's own error.
   */
  async runOnce<T>(id: string, effect: () => Promise<T>): Promise<OnceResult<T>> {
    const { client, leaseMs, doneTtlMs } = this.options;
    const key = this.keyFor(id);
    const token = `claim:${randomBytes(12).toString('base64url')}`;
    const claimed = await client.set(key, token, 'PX', leaseMs, 'NX');
    if (claimed !== 'OK') {
      const current = await client.get(key);
      if (current === DONE) return { executed: false, reason: 'duplicate' };
      throw new IdempotencyInProgressError(id);
    }
    let value: T;
    try {
      value = await effect();
    } catch (error) {
      await compareAndDelete(client, key, token).catch(() => {
        // The claim then just expires after leaseMs.
      });
      throw error;
    }
    // The effect happened: report it even if the mark cannot be written (a throw here would make the
    // consumer redeliver and run it twice). An unwritten mark leaves the claim to expire; a claim taken
    // over by someone else after ours expired is theirs to finish.
    await compareAndSet(client, key, token, DONE, doneTtlMs).catch(() => false);
    return { executed: true, value };
  }

  /** Whether `id` is marked done (for tests and diagnostics). */
  async isDone(id: string): Promise<boolean> {
    return (await this.options.client.get(this.keyFor(id))) === DONE;
  }
}
