import path from 'node:path';
import type { RedisClient } from '../connection/redis-client.factory';
import { ScriptReplyError } from '../errors';
import { defineScript, runScript } from './script.registry';

/** The kit's own general-purpose scripts (services own their domain scripts). */
export const kitScripts = {
  compareAndDelete: defineScript({ file: path.join(__dirname, 'compare-and-delete-1.lua') }),
  compareAndSet: defineScript({ file: path.join(__dirname, 'compare-and-set-1.lua') }),
} as const;

function toBoolean(script: string, reply: unknown): boolean {
  if (reply === 1) return true;
  if (reply === 0) return false;
  throw new ScriptReplyError(script, reply);
}

/** Deletes `key` only if it holds `expected`; true when deleted. */
export async function compareAndDelete(client: RedisClient, key: string, expected: string): Promise<boolean> {
  return toBoolean(
    'compare-and-delete',
    await runScript(client, kitScripts.compareAndDelete, [key], [expected]),
  );
}

/** Sets `key` to `value` with a `ttlMs` expiry only if it holds `expected`; true when replaced. */
export async function compareAndSet(
  client: RedisClient,
  key: string,
  expected: string,
  value: string,
  ttlMs: number,
): Promise<boolean> {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError('ttlMs must be a positive integer');
  const reply = await runScript(client, kitScripts.compareAndSet, [key], [expected, value, ttlMs]);
  return toBoolean('compare-and-set', reply);
}
