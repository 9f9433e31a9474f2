import { z } from 'zod';

/** API.md: 15–256 characters (code points, so an emoji counts once), never truncated. */
export const MIN_PASSWORD_LENGTH = 15;
export const MAX_PASSWORD_LENGTH = 256;

const length = (value: string) => [...value].length;

/** A new password (registration, password change). */
export const newPasswordSchema = z
  .string()
  .refine((v) => length(v) >= MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .refine((v) => length(v) <= MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);

/**
 * A password presented for verification. Too-short ones are not rejected here (that would tell an attacker
 * the rule, and every failure must look alike); only the upper bound is, because hashing unbounded input is
 * a denial-of-service vector.
 */
export const presentedPasswordSchema = z
  .string()
  .min(1, 'must not be empty')
  .refine((v) => length(v) <= MAX_PASSWORD_LENGTH, `must be at most ${MAX_PASSWORD_LENGTH} characters`);
