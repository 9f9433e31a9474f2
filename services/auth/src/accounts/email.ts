import { z } from 'zod';

/** API.md: trimmed, lower-cased, a valid address, at most 254 characters. */
export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be a valid email address'));

/** The key every per-account rule uses (back-off, uniqueness, ADMIN_EMAILS). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
