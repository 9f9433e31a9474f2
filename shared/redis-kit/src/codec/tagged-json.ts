// JSON with two type tags so Dates and BigInts survive a round trip without guessing from string shapes
// (guessing turned ISO-looking strings into Dates in node-cache-manager-ioredis-yet #328):
//   Date   -> {"$date":1704164645678}   epoch ms: exact, and ~5x cheaper to revive than an ISO string
//                                         (an invalid Date -> {"$date":null})
//   bigint -> {"$bigint":"12345678901234567890"}
// A caller's own object with a single `$`-key gets one more `$` on the way in and loses it on the way out,
// so the encoding stays injective: {"$date":"x"} is stored as {"$$date":"x"}.

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // JSON.stringify has already called Date#toJSON on `value`; the holder still has the Date.
  const raw = this[key];
  if (raw instanceof Date) {
    const ms = raw.getTime();
    return { $date: Number.isNaN(ms) ? null : ms };
  }
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    let only: string | undefined;
    let count = 0;
    for (const k in value) {
      if (++count > 1) return value;
      only = k;
    }
    if (count === 1 && only !== undefined && only.charCodeAt(0) === 36 /* $ */) {
      return { [`$${only}`]: (value as Record<string, unknown>)[only] };
    }
  }
  return value;
}

/** Replaces tagged objects in a freshly parsed tree, in place (several times faster than a JSON.parse reviver). */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      if (item !== null && typeof item === 'object') value[i] = revive(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  let first = true;
  for (const k in record) {
    // Only a single-key object whose key starts with `$` can be a tag or an escaped key.
    if (first && k.charCodeAt(0) === 36 /* $ */ && isSingleKey(record)) return reviveTagged(k, record[k]);
    first = false;
    const item = record[k];
    if (item !== null && typeof item === 'object') record[k] = revive(item);
  }
  return record;
}

function isSingleKey(record: Record<string, unknown>): boolean {
  let count = 0;
  for (const _ in record) if (++count > 1) return false;
  return true;
}

function reviveTagged(key: string, raw: unknown): unknown {
  const inner = raw !== null && typeof raw === 'object' ? revive(raw) : raw;
  if (key === '$date' && (typeof inner === 'number' || inner === null)) return new Date(inner ?? Number.NaN);
  if (key === '$bigint' && typeof inner === 'string') return BigInt(inner);
  if (key.charCodeAt(1) === 36) return { [key.slice(1)]: inner };
  return { [key]: inner };
}

/** JSON.stringify with the Date/BigInt tags. */
export function stringifyTagged(value: unknown): string {
  const json = JSON.stringify(value, replacer);
  if (json === undefined)
    throw new TypeError('value is not JSON-serialisable (undefined, a function or a symbol)');
  return json;
}

/** JSON.parse that revives the tags; skips the walk entirely when no tag can be present. */
export function parseTagged(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  return text.includes('"$') ? revive(parsed) : parsed;
}
