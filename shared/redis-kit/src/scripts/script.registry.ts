import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RedisClient } from '../connection/redis-client.factory';
import { assertSameSlot } from '../keys/hash-slot';

/** A Lua script with its SHA1 computed once, ready for EVALSHA. */
export interface ScriptDefinition {
  /** `<command>` from the file name, or the given name; used in errors and traces. */
  readonly name: string;
  readonly lua: string;
  /** SHA1 of `lua`: what `SCRIPT LOAD` returns. */
  readonly sha: string;
  /** How many KEYS the script takes; `undefined` when it varies (a `-N.lua` file). */
  readonly numberOfKeys: number | undefined;
}

/** A script argument as Redis receives it. */
export type ScriptArg = string | number | Buffer;

const FILE_NAME = /^([a-z0-9]+(?:-[a-z0-9]+)*)-(\d+|N)\.lua$/;

/**
 * Defines a script from a `<command>-<numKeys>.lua` file (name and key count come from the file name;
 * `-N` for a varying count) or from inline source. Reads the file and hashes it once, at definition.
 *
 * @example
 * const releaseLease = defineScript({ file: path.join(__dirname, 'release-lease-1.lua') });
 */
export function defineScript(
  source: { file: string } | { name: string; lua: string; numberOfKeys?: number },
): ScriptDefinition {
  let name: string;
  let lua: string;
  let numberOfKeys: number | undefined;
  if ('file' in source) {
    const match = FILE_NAME.exec(path.basename(source.file));
    if (!match) throw new Error(`script file ${source.file} must be named <command>-<numKeys>.lua`);
    name = match[1] as string;
    numberOfKeys = match[2] === 'N' ? undefined : Number(match[2]);
    lua = fs.readFileSync(source.file, 'utf8');
    if (!lua.startsWith('--'))
      throw new Error(`script file ${source.file} must open with its KEYS/ARGV header`);
  } else {
    ({ name, lua, numberOfKeys } = source);
  }
  const sha = createHash('sha1').update(lua).digest('hex');
  return Object.freeze({ name, lua, sha, numberOfKeys });
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /**
   * `'single-node'`: the keys may live in different hash slots, which only a single node (or Sentinel)
   * accepts; refused on a Cluster client. For callers that batch several entities' keys into one call
   * (the rate limiter's and the session reader's coalescing). @default keys must share one slot
   */
  readonly crossSlot?: 'single-node';
}

/**
 * Runs a script with EVALSHA, falling back to EVAL only when the server answers NOSCRIPT (after a restart,
 * a failover or SCRIPT FLUSH: the script did not run). Any other failure, a timeout above all, is thrown
 * as is and never replayed: the script may have run. Keys must share one hash slot (checked here, so a
 * single-node test catches what would fail on Cluster) unless `crossSlot: 'single-node'` says otherwise.
 */
export async function runScript(
  client: RedisClient,
  script: ScriptDefinition,
  keys: readonly string[],
  args: readonly ScriptArg[] = [],
  options: RunScriptOptions = {},
): Promise<unknown> {
  if (script.numberOfKeys !== undefined && keys.length !== script.numberOfKeys) {
    throw new Error(`script ${script.name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  if (options.crossSlot !== 'single-node') assertSameSlot(keys);
  else if (client.isCluster)
    throw new Error(`script ${script.name}: keys in several slots need a single node`);
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.eval(script.lua, keys.length, ...keys, ...args);
  }
}
