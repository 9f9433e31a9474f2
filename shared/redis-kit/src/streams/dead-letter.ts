import path from 'node:path';
import type { RedisClient } from '../connection/redis-client.factory';
import { ScriptReplyError } from '../errors';
import { defineScript, runScript } from '../scripts/script.registry';

export const deadLetterScript = defineScript({ file: path.join(__dirname, 'dead-letter-2.lua') });

/** What `deadLetter` needs to move one entry. */
export interface DeadLetterRequest {
  stream: string;
  deadLetterStream: string;
  group: string;
  id: string;
  reason: string;
  deliveries: number;
  consumer: string;
  maxLen: number;
}

/** Moves a pending entry to the dead-letter stream and acks it; the new entry's id, or null if it was trimmed. */
export async function deadLetter(client: RedisClient, request: DeadLetterRequest): Promise<string | null> {
  const reply = await runScript(
    client,
    deadLetterScript,
    [request.stream, request.deadLetterStream],
    [
      request.group,
      request.id,
      request.reason.slice(0, 1024),
      request.deliveries,
      request.consumer,
      request.maxLen,
    ],
  );
  if (reply === null) return null;
  if (typeof reply === 'string') return reply;
  throw new ScriptReplyError('dead-letter', reply);
}
