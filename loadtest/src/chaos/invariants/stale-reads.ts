import type { RequestRecord } from '../../traffic/request-record';
import type { StaleReadCheck } from '../chaos-report.types';

const READS = new Set(['read', 'anon-read', 'probe-anon', 'probe-user']);

/**
 * Read-your-writes across clients: a read answered 200 that started after a write of the same profile was
 * acknowledged (its 200 arrived) must show that write's version or a later one. Writes whose outcome the
 * client never learned may have committed too, which only ever makes a higher version legitimate.
 *
 * With the L1 on (`l1TtlMs`), the user service's stated bound instead: never older than the newest write
 * acknowledged `l1TtlMs` before the read began (another instance's L1 drops an entry when its fan-out
 * reader sees the write, a few ms later). Reads inside that window that were older are counted apart.
 */
export function checkStaleReads(records: readonly RequestRecord[], l1TtlMs?: number): StaleReadCheck {
  const writes = new Map<number, { end: number; version: number }[]>();
  for (const r of records) {
    if (r.kind !== 'write' || r.status !== 200 || r.version === undefined || r.target === undefined) continue;
    const list = writes.get(r.target) ?? [];
    list.push({ end: r.end, version: r.version });
    writes.set(r.target, list);
  }
  // Per profile: acknowledgements by time, with the highest version acknowledged so far.
  const acks = new Map<number, { end: number; highest: number; version: number }[]>();
  for (const [target, list] of writes) {
    list.sort((a, b) => a.end - b.end);
    let highest = 0;
    acks.set(
      target,
      list.map((w) => {
        highest = Math.max(highest, w.version);
        return { end: w.end, highest, version: w.version };
      }),
    );
  }
  let checked = 0;
  const stale: StaleReadCheck['examples'][number][] = [];
  let staleCount = 0;
  let insideL1Bound = 0;
  for (const r of records) {
    if (!READS.has(r.kind) || r.status !== 200 || r.version === undefined || r.target === undefined) continue;
    const list = acks.get(r.target);
    if (!list) continue;
    const latest = lastBefore(list, r.start);
    if (!latest) continue;
    checked++;
    const before = l1TtlMs === undefined ? latest : lastBefore(list, r.start - l1TtlMs);
    if (r.version < latest.highest && (!before || r.version >= before.highest)) insideL1Bound++;
    if (before && r.version < before.highest) {
      staleCount++;
      if (stale.length < 20) {
        stale.push({
          target: r.target,
          readStart: r.start,
          version: r.version,
          acknowledged: before.highest,
          acknowledgedAt: before.end,
        });
      }
    }
  }
  return {
    checked,
    stale: staleCount,
    ...(l1TtlMs === undefined ? {} : { l1TtlMs, insideL1Bound }),
    examples: stale,
  };
}

/** The last acknowledgement strictly before `t` (binary search over end times). */
function lastBefore<T extends { end: number }>(sorted: readonly T[], t: number): T | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as T).end < t) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : sorted[lo - 1];
}
