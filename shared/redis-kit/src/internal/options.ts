import type { Cluster, Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { InvalidOptionsError } from '../errors';

/**
 * Validates `input` against `schema` (which also applies the defaults) and returns the resolved options,
 * or throws one InvalidOptionsError listing every bad field.
 */
export function resolveOptions<S extends z.ZodType>(
  component: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new InvalidOptionsError(component, issues);
}

export const positiveInt = () => z.number().int().positive();
export const nonNegativeInt = () => z.number().int().nonnegative();

// Duck-typed: the workspace holds several copies of ioredis, and `instanceof` fails across copies.
export const redisClientSchema = z.custom<Redis | Cluster>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Redis).isCluster === 'boolean' &&
    typeof (value as Redis).call === 'function' &&
    typeof (value as Redis).disconnect === 'function',
  'must be an ioredis Redis or Cluster client (createRedisClient)',
);

// Duck-typed: a prom-client Registry from another copy of the package must still be accepted.
export const registrySchema = z.custom<Registry>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Registry).registerMetric === 'function' &&
    typeof (value as Registry).getSingleMetric === 'function',
  'must be a prom-client Registry',
);

export const functionSchema = <F extends (...args: never[]) => unknown>() =>
  z.custom<F>((value) => typeof value === 'function', 'must be a function');

/** `{ initialMs, maxMs }` for exponential back-off with full jitter. */
export const backoffSchema = z
  .object({ initialMs: positiveInt().default(100), maxMs: positiveInt().default(5000) })
  .refine((b) => b.maxMs >= b.initialMs, 'maxMs must be >= initialMs');
