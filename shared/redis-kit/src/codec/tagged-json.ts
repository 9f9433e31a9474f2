// JSON with two type tags so Dates and BigInts survive a round trip without guessing from string shapes
// (guessing turned ISO-looking strings into Dates in node-cache-manager-ioredis-yet #328):
//   Date   -> {"$date":"2024-01-02T03:04:05.678Z"}      (an invalid Date -> {"$date":null})
//   bigint -> {"$bigint":"12345678901234567890"}
// A caller's own object with a single `$`-key gets one more `$` on the way in and loses it on the way out,
// so the encoding stays injective: {"$date":"x"} is stored as {"$$date":"x"}.

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // JSON.stringify has already called Date#toJSON on `value`; the holder still has the Date.
  const raw = this[key];
  if (raw instanceof Date) return { $date: Number.isNaN(raw.getTime()) ? null : raw.toISOString() };
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

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  let only: string | undefined;
  let count = 0;
  for (const k in value) {
    if (++count > 1) return value;
    only = k;
  }
  if (count !== 1 || only === undefined || only.charCodeAt(0) !== 36) return value;
  const inner = (value as Record<string, unknown>)[only];
  if (only === '$date' && (typeof inner === 'string' || inner === null)) return new Date(inner ?? Number.NaN);
  if (only === '$bigint' && typeof inner === 'string') return BigInt(inner);
  if (only.charCodeAt(1) === 36) return { [only.slice(1)]: inner };
  return value;
}

/** JSON.stringify with the Date/BigInt tags. */
export function stringifyTagged(value: unknown): string {
  const json = JSON.stringify(value, replacer);
  if (json === undefined)
    throw new TypeError('value is not JSON-serialisable (undefined, a function or a symbol)');
  return json;
}

/** JSON.parse that revives the tags; skips the reviver entirely when no tag can be present. */
export function parseTagged(text: string): unknown {
  return text.includes('"$') ? JSON.parse(text, reviver) : JSON.parse(text);
}
