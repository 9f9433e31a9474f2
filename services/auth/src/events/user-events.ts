import { z } from 'zod';

/** The user service's event stream (contract) and auth's consumer group on it. */
export const USER_EVENTS_STREAM = 'user-events';
export const AUTH_CONSUMER_GROUP = 'auth';

const fieldsSchema = z.object({
  type: z.enum(['user.created', 'user.updated', 'user.deleted']),
  userId: z.uuid(),
  eventId: z.uuid(),
});

/** The fields auth acts on; undefined when the entry is not a user event this version understands. */
export function parseUserEvent(fields: Readonly<Record<string, string>>) {
  const parsed = fieldsSchema.safeParse(fields);
  return parsed.success ? parsed.data : undefined;
}
