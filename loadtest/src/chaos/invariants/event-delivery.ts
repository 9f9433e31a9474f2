import { pollUntil } from '@redwire/launchers';
import type { RedisClient } from '@redwire/redis-kit';
import type pg from 'pg';
import type { EventDeliveryCheck } from '../chaos-report.types';
import { USER_EVENTS_DEAD_LETTER_KEY, USER_EVENTS_GROUPS, USER_EVENTS_STREAM_KEY } from '../stack-names';

/** Where the run started: the outbox sequence and the stream id before its first event. */
export interface EventMark {
  readonly outboxSeq: number;
  readonly streamId: string;
  /** The stream's `entries-added` counter (every XADD ever, trimmed or not). */
  readonly streamAdded: number;
}

/** Orders stream ids (`ms-seq`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}

function fieldMap(raw: readonly unknown[]): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(String(raw[i]), raw[i + 1]);
  return fields;
}

async function streamInfo(redis: RedisClient): Promise<{ last: string; added: number }> {
  try {
    const info = fieldMap((await redis.xinfo('STREAM', USER_EVENTS_STREAM_KEY)) as unknown[]);
    return {
      last: String(info.get('last-generated-id') ?? '0-0'),
      added: Number(info.get('entries-added') ?? 0),
    };
  } catch {
    return { last: '0-0', added: 0 }; // no stream yet
  }
}

export async function markEvents(db: pg.Pool, redis: RedisClient): Promise<EventMark> {
  const { rows } = await db.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM users.outbox');
  const stream = await streamInfo(redis);
  return { outboxSeq: Number(rows[0]?.seq ?? 0), streamId: stream.last, streamAdded: stream.added };
}

interface GroupState {
  readonly group: string;
  readonly pending: number;
  readonly lastDelivered: string;
}

async function groupStates(redis: RedisClient): Promise<GroupState[]> {
  const groups = ((await redis.xinfo('GROUPS', USER_EVENTS_STREAM_KEY)) as unknown[][]).map(fieldMap);
  return USER_EVENTS_GROUPS.map((group) => {
    const info = groups.find((g) => g.get('name') === group);
    return {
      group,
      pending: Number(info?.get('pending') ?? Number.NaN),
      lastDelivered: String(info?.get('last-delivered-id') ?? '0-0'),
    };
  });
}

async function unpublished(db: pg.Pool, mark: EventMark): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM users.outbox WHERE seq > $1 AND published_at IS NULL',
    [mark.outboxSeq],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits (up to `timeoutMs`) until the relay has published every outbox row of the run and every group has
 * read and acknowledged everything: the at-least-once machinery gets its retries before it is judged.
 * Returns the seconds waited.
 */
export async function settleEvents(
  db: pg.Pool,
  redis: RedisClient,
  mark: EventMark,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  const settled = async () => {
    const [left, stream, groups] = await Promise.all([
      unpublished(db, mark),
      streamInfo(redis),
      groupStates(redis),
    ]);
    const caughtUp = groups.every(
      (g) => g.pending === 0 && compareStreamIds(g.lastDelivered, stream.last) >= 0,
    );
    return left === 0 && caughtUp;
  };
  // Not settling in time is no error here: the invariant that follows reports what was left.
  await pollUntil(settled, { what: 'events delivered', timeoutMs, intervalMs: 250 }).catch(() => {});
  return Math.round(performance.now() - started) / 1000;
}

/**
 * Every outbox row committed during the run against the stream and each consumer group: published, in the
 * stream, delivered to and acknowledged by every group (which acks only after its handler succeeded), and
 * not dead-lettered. The consumers record nothing extra: a group's last-delivered id and its pending list
 * are Redis's own record of what it handled, and they survive the consumer's process (and, with the AOF,
 * Redis's).
 */
export async function auditEvents(
  db: pg.Pool,
  redis: RedisClient,
  mark: EventMark,
  settleSeconds: number,
): Promise<EventDeliveryCheck> {
  const { rows } = await db.query<{ event_id: string; published: boolean }>(
    'SELECT event_id, published_at IS NOT NULL AS published FROM users.outbox WHERE seq > $1',
    [mark.outboxSeq],
  );
  const start = `(${mark.streamId}`;
  const entries = (await redis.xrange(USER_EVENTS_STREAM_KEY, start, '+')) as [string, string[]][];
  const seen = new Map<string, number>();
  for (const [, fields] of entries) {
    const eventId = fieldMap(fields).get('eventId');
    if (typeof eventId === 'string') seen.set(eventId, (seen.get(eventId) ?? 0) + 1);
  }
  // Entries added since the mark that XRANGE no longer returns were trimmed (MAXLEN) before this check.
  const trimmedPastRunStart = (await streamInfo(redis)).added - mark.streamAdded > entries.length;
  const deadLetters = (await redis.xrange(USER_EVENTS_DEAD_LETTER_KEY, '-', '+')) as [string, string[]][];
  const groups = await Promise.all(
    (await groupStates(redis)).map(async (g) => {
      const undelivered = entries.filter(([id]) => compareStreamIds(id, g.lastDelivered) > 0).length;
      const deadLettered = deadLetters.filter(([, fields]) => {
        const f = fieldMap(fields);
        return (
          f.get('dlq.group') === g.group &&
          compareStreamIds(String(f.get('dlq.source-id')), mark.streamId) > 0
        );
      }).length;
      return { group: g.group, pending: g.pending, undelivered, deadLettered };
    }),
  );
  const unpublishedCount = rows.filter((r) => !r.published).length;
  const missingFromStream = rows.filter((r) => r.published && !seen.has(r.event_id)).length;
  return {
    committed: rows.length,
    unpublished: unpublishedCount,
    missingFromStream,
    republished: [...seen.values()].filter((n) => n > 1).length,
    trimmedPastRunStart,
    groups,
    lost:
      unpublishedCount +
      missingFromStream +
      groups.reduce((sum, g) => sum + g.pending + g.undelivered + g.deadLettered, 0),
    settleSeconds,
  };
}
