/** One stream entry as read; `fields` is null when the entry was trimmed while still pending. */
export interface RawEntry {
  id: string;
  fields: Record<string, string> | null;
}

function toFields(flat: unknown): Record<string, string> | null {
  if (!Array.isArray(flat)) return null;
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
  return fields;
}

/** `[[id, [k, v, ...]], ...]` → entries. */
export function parseEntries(raw: unknown): RawEntry[] {
  if (!Array.isArray(raw)) return [];
  const entries: RawEntry[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || item[0] === undefined || item[0] === null) continue;
    entries.push({ id: String(item[0]), fields: toFields(item[1]) });
  }
  return entries;
}

/**
 * The entries of one stream from an XREAD/XREADGROUP reply. RESP2 nests `[[key, entries]]`; a RESP3 map
 * reply arrives flattened as `[key, entries]`; a timeout is null. Both shapes are accepted.
 */
export function parseReadReply(raw: unknown): RawEntry[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  if (typeof raw[0] === 'string' || Buffer.isBuffer(raw[0])) return parseEntries(raw[1]);
  const first = raw[0] as unknown[];
  return Array.isArray(first) ? parseEntries(first[1]) : [];
}
