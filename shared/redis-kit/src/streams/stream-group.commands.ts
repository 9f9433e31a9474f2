import type { RedisClient } from '../connection/redis-client.factory';
import { parseEntries, parseReadReply, type RawEntry } from './stream-reply';

// The consumer-group commands of StreamConsumer, each one round trip, raw replies parsed here.

/** XGROUP CREATE ... MKSTREAM, treating BUSYGROUP (it exists) as success. */
export async function createGroup(client: RedisClient, stream: string, group: string, startId: string) {
  try {
    await client.xgroup('CREATE', stream, group, startId, 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

/** XREADGROUP: `>` with BLOCK for new entries, or an explicit id (no BLOCK) to re-read our pending list. */
export async function readGroup(
  client: RedisClient,
  args: { stream: string; group: string; consumer: string; count: number; blockMs?: number; id: string },
): Promise<RawEntry[]> {
  const block = args.blockMs === undefined ? [] : ['BLOCK', String(args.blockMs)];
  const reply = await client.call(
    'XREADGROUP',
    'GROUP',
    args.group,
    args.consumer,
    'COUNT',
    String(args.count),
    ...block,
    'STREAMS',
    args.stream,
    args.id,
  );
  return parseReadReply(reply);
}

/** One XAUTOCLAIM call: the entries claimed for `consumer` and the cursor for the next call (`0-0`: done). */
export async function autoClaim(
  client: RedisClient,
  args: { stream: string; group: string; consumer: string; minIdleMs: number; cursor: string; count: number },
): Promise<{ entries: RawEntry[]; cursor: string }> {
  const reply = (await client.call(
    'XAUTOCLAIM',
    args.stream,
    args.group,
    args.consumer,
    String(args.minIdleMs),
    args.cursor,
    'COUNT',
    String(args.count),
  )) as unknown[] | null;
  return { entries: parseEntries(reply?.[1]), cursor: String(reply?.[0] ?? '0-0') };
}

/** Delivery counts of entries pending for `consumer`, from one XPENDING range query over them. */
export async function deliveryCounts(
  client: RedisClient,
  args: { stream: string; group: string; consumer: string; entries: readonly RawEntry[] },
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const first = args.entries[0]?.id;
  const last = args.entries.at(-1)?.id;
  if (first === undefined || last === undefined) return counts;
  const reply = (await client.call(
    'XPENDING',
    args.stream,
    args.group,
    first,
    last,
    String(args.entries.length + 1000),
    args.consumer,
  )) as unknown[] | null;
  for (const row of reply ?? []) {
    if (Array.isArray(row)) counts.set(String(row[0]), Number(row[3]));
  }
  return counts;
}

/** Entries delivered to `group` and not yet acknowledged (XPENDING summary); 0 while the group does not exist. */
export async function pendingCount(client: RedisClient, stream: string, group: string): Promise<number> {
  try {
    const reply = (await client.call('XPENDING', stream, group)) as unknown[] | null;
    return Number(reply?.[0] ?? 0);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOGROUP')) return 0;
    throw error;
  }
}
