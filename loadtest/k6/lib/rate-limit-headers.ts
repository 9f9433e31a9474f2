// Pure parsing (no k6 imports) so the vitest suite can exercise it under Node.

/** A bare item of a Structured Field (RFC 9651): string and token both map to `string`. */
export type SfBareItem = string | number | boolean;

/** One member of a Structured Field list: a bare item and its parameters. */
export interface SfItem {
  value: SfBareItem;
  params: Record<string, SfBareItem>;
}

/** One advertised policy, from `RateLimit-Policy: "name";q=<quota>;w=<seconds>`. */
export interface RateLimitPolicy {
  name: string;
  quota: number;
  /** `undefined` when the server omits `w` (the draft allows it); such a policy cannot be judged. */
  windowSeconds: number | undefined;
}

/** One policy's state, from `RateLimit: "name";r=<remaining>;t=<seconds>`. */
export interface RateLimitState {
  name: string;
  remaining: number;
  resetSeconds: number | undefined;
}

const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+\-.^_`|~:/]/;
const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const NUMBER = /^-?\d{1,15}(\.\d{1,3})?/;

/**
 * Parses a Structured Field list of items (RFC 9651 §4.2.1), the shape of both draft-10 rate-limit fields.
 * Inner lists, byte sequences and dates are not used by those fields and make the parse fail.
 * @returns the items, or `undefined` when the field is malformed.
 */
export function parseSfList(input: string): SfItem[] | undefined {
  let i = 0;
  const at = (): string => input.charAt(i);
  const skip = (pattern: RegExp): void => {
    while (i < input.length && pattern.test(at())) i++;
  };

  const bareItem = (): SfBareItem | undefined => {
    const c = at();
    if (c === '"') {
      let out = '';
      i++;
      while (i < input.length) {
        const ch = at();
        i++;
        if (ch === '"') return out;
        if (ch === '\\') {
          const escaped = at();
          i++;
          if (escaped !== '"' && escaped !== '\\') return undefined;
          out += escaped;
        } else {
          out += ch;
        }
      }
      return undefined;
    }
    if (c === '?') {
      const flag = input.charAt(i + 1);
      if (flag !== '0' && flag !== '1') return undefined;
      i += 2;
      return flag === '1';
    }
    const number = NUMBER.exec(input.slice(i));
    if (number) {
      i += number[0].length;
      return Number(number[0]);
    }
    if (TOKEN_START.test(c)) {
      const start = i;
      i++;
      skip(TOKEN_CHAR);
      return input.slice(start, i);
    }
    return undefined;
  };

  const parameters = (): Record<string, SfBareItem> | undefined => {
    const params: Record<string, SfBareItem> = {};
    while (at() === ';') {
      i++;
      skip(/ /);
      if (!KEY_START.test(at())) return undefined;
      const start = i;
      skip(KEY_CHAR);
      const key = input.slice(start, i);
      let value: SfBareItem = true;
      if (at() === '=') {
        i++;
        const parsed = bareItem();
        if (parsed === undefined) return undefined;
        value = parsed;
      }
      params[key] = value;
    }
    return params;
  };

  const items: SfItem[] = [];
  skip(/[ \t]/);
  while (i < input.length) {
    const value = bareItem();
    if (value === undefined) return undefined;
    const params = parameters();
    if (params === undefined) return undefined;
    items.push({ value, params });
    skip(/[ \t]/);
    if (i >= input.length) break;
    if (at() !== ',') return undefined;
    i++;
    skip(/[ \t]/);
    if (i >= input.length) return undefined;
  }
  return items;
}

const nonNegativeInteger = (v: SfBareItem | undefined): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Parses `RateLimit-Policy`. Items without a string name or an integer `q` are dropped.
 * @returns the policies, or `undefined` when the header is absent or malformed.
 */
export function parseRateLimitPolicies(value: string | undefined): RateLimitPolicy[] | undefined {
  const items = value === undefined ? undefined : parseSfList(value);
  if (items === undefined) return undefined;
  const policies: RateLimitPolicy[] = [];
  for (const { value: name, params } of items) {
    const quota = params.q;
    const window = params.w;
    if (typeof name !== 'string' || !nonNegativeInteger(quota)) continue;
    policies.push({
      name,
      quota,
      windowSeconds: nonNegativeInteger(window) && window > 0 ? window : undefined,
    });
  }
  return policies;
}

/**
 * Parses `RateLimit`. Items without a string name or an integer `r` are dropped.
 * @returns the states, or `undefined` when the header is absent or malformed.
 */
export function parseRateLimitStates(value: string | undefined): RateLimitState[] | undefined {
  const items = value === undefined ? undefined : parseSfList(value);
  if (items === undefined) return undefined;
  const states: RateLimitState[] = [];
  for (const { value: name, params } of items) {
    const remaining = params.r;
    const reset = params.t;
    if (typeof name !== 'string' || !nonNegativeInteger(remaining)) continue;
    states.push({ name, remaining, resetSeconds: nonNegativeInteger(reset) ? reset : undefined });
  }
  return states;
}

/**
 * Parses `Retry-After` in its delay-seconds form, the only form docs/api.md allows.
 * @returns whole seconds, or `undefined` when absent or not a non-negative integer.
 */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,10}\s*$/.test(value)) return undefined;
  return Number(value.trim());
}
