import { z } from 'zod';
import { emailSchema } from '../accounts/email';
import { newPasswordSchema, presentedPasswordSchema } from '../passwords/password.policy';

export const registerBody = z.object({
  email: emailSchema,
  password: newPasswordSchema,
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});

export const loginBody = z.object({ email: emailSchema, password: presentedPasswordSchema });

export const changePasswordBody = z.object({
  currentPassword: presentedPasswordSchema,
  newPassword: newPasswordSchema,
});

export const accountPatchBody = z
  .object({
    role: z.enum(['user', 'admin']).optional(),
    tier: z.enum(['free', 'pro']).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .refine((p) => p.role !== undefined || p.tier !== undefined || p.status !== undefined, {
    message: 'must change at least one of role, tier, status',
  });

export const accountIdParams = z.object({ id: z.uuid('must be a user id (UUID)') });

export const sessionIdParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{38}$/, 'must be a session id'),
});
