import path from 'node:path';
import { defineScript, ScriptReplyError } from '@redwire/redis-kit';

const lua = (file: string) => defineScript({ file: path.join(__dirname, file) });

/** The login throttle's scripts; each file's header documents its KEYS, ARGV and reply. */
export const throttleScripts = {
  lockedFor: lua('locked-for-3.lua'),
  recordFailure: lua('record-failure-2.lua'),
  recordSuccess: lua('record-success-2.lua'),
};

/** Whether an attempt may proceed, and if not, which back-off holds it. */
export interface LockState {
  readonly remainingMs: number;
  readonly scope: 'pair' | 'account' | 'none';
}

/** The two records after a counted failure; `…UntilMs` is 0 while no back-off runs. */
export interface FailureRecord {
  readonly pairFailures: number;
  readonly pairUntilMs: number;
  readonly accountFailures: number;
  readonly accountUntilMs: number;
}

const SCOPES: ReadonlySet<string> = new Set(['pair', 'account', 'none']);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** locked-for-3.lua's `{remainingMs, scope}`. */
export function decodeLockState(reply: unknown): LockState {
  if (Array.isArray(reply) && reply.length === 2 && isCount(reply[0]) && SCOPES.has(reply[1])) {
    return { remainingMs: reply[0], scope: reply[1] as LockState['scope'] };
  }
  throw new ScriptReplyError('locked-for-3', reply);
}

/** record-failure-2.lua's `{pairFailures, pairUntilMs, accountFailures, accountUntilMs}`. */
export function decodeFailureRecord(reply: unknown): FailureRecord {
  if (Array.isArray(reply) && reply.length === 4 && reply.every(isCount)) {
    const [pairFailures, pairUntilMs, accountFailures, accountUntilMs] = reply as number[] as [
      number,
      number,
      number,
      number,
    ];
    return { pairFailures, pairUntilMs, accountFailures, accountUntilMs };
  }
  throw new ScriptReplyError('record-failure-2', reply);
}

/** record-success-2.lua's `1`. */
export function decodeSuccess(reply: unknown): void {
  if (reply !== 1) throw new ScriptReplyError('record-success-2', reply);
}
