import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// TODO(redis-kit): replace with redis-kit's defineScript/runScript once it lands; this is the minimum the
// session scripts need (EVALSHA, EVAL only on NOSCRIPT, never a replay after a timeout).

/**
 * The commands this package sends. Both ioredis `Redis` and `Cluster` satisfy it; it is structural so a
 * client built from another copy of ioredis (another workspace) type-checks too.
 */
export interface SessionRedisClient {
  evalsha(sha1: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** A Lua script loaded from `lua/<name>.lua`, with the SHA-1 Redis will know it by. */
export interface SessionScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly lua: string;
  readonly sha: string;
}

/** Loads `lua/<name>-<keys>.lua` next to this module (works from src under vitest and from dist). */
export function loadScript(name: string, numberOfKeys: number): SessionScript {
  const lua = readFileSync(path.join(__dirname, 'lua', `${name}-${numberOfKeys}.lua`), 'utf8');
  return { name, numberOfKeys, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs a script by SHA; sends the body only when the server answers NOSCRIPT (after a restart or flush). */
export async function runScript(
  client: SessionRedisClient,
  script: SessionScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  if (keys.length !== script.numberOfKeys) {
    throw new TypeError(`${script.name}: expected ${script.numberOfKeys} keys, got ${keys.length}`);
  }
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(script.lua, keys.length, ...keys, ...args);
  }
}
