import { z } from 'zod';
import { errors, type FieldErrors } from './errors';

/** Key under which problems with the input as a whole (not one field) are reported. */
export const ROOT_FIELD = '_root';

const strictCache = new WeakMap<z.ZodObject, z.ZodObject>();

/**
 * A plain `z.object` silently strips unknown keys; docs/api.md wants them rejected. Top-level objects are made
 * strict here (cached per schema) unless the schema chose a catch-all (`.loose()`, `.catchall()`).
 * Nested objects must be declared with `z.strictObject` by the caller.
 */
function strictTopLevel(schema: z.ZodType): z.ZodType {
  if (!(schema instanceof z.ZodObject) || schema._zod.def.catchall !== undefined) return schema;
  let strict = strictCache.get(schema);
  if (!strict) {
    strict = schema.strict();
    strictCache.set(schema, strict);
  }
  return strict;
}

/**
 * Converts zod issues to `{ "field.path": [messages] }`; an unknown key is reported on its own path. Field
 * paths come from the client (an unknown key is named as sent), so the map has no prototype: a key such as
 * `__proto__`, `constructor` or `toString` is an own entry like any other, never an inherited member.
 */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldErrors {
  const out: FieldErrors = Object.create(null);
  const add = (path: readonly PropertyKey[], message: string) => {
    const key = path.length === 0 ? ROOT_FIELD : path.map(String).join('.');
    const messages = Object.hasOwn(out, key) ? out[key] : undefined;
    if (messages) messages.push(message);
    else out[key] = [message];
  };
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add([...issue.path, key], 'Unknown field');
    } else {
      add(issue.path, issue.message);
    }
  }
  return out;
}

/**
 * Validates `input` (a body, `req.params` or `req.query`) with `schema` and returns the typed output, or
 * throws a 400 `E_VALIDATION` whose `errors` maps each field path to its messages. Unknown top-level
 * fields are rejected. Messages come from zod and never echo the input value.
 *
 * @example
 * const body = parseWith(z.object({ name: z.string().trim().min(1).max(100) }), req.body);
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = strictTopLevel(schema).safeParse(input);
  if (result.success) return result.data as z.output<S>;
  throw errors.E_VALIDATION(toFieldErrors(result.error.issues), 'One or more fields are invalid.');
}
