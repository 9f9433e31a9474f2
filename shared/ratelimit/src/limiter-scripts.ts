import fs from 'node:fs';
import path from 'node:path';
import { defineScript, type ScriptDefinition } from '@redwire/redis-kit';
import { fixedWindow, gcra, slidingWindow } from './algorithms';

function read(relative: string): string {
  return fs.readFileSync(path.join(__dirname, relative), 'utf8');
}

/**
 * decide-N.lua and refund-N.lua dispatch on `ALGORITHMS[code]`, so the includes are prepended in code
 * order; each algorithm's Lua lives next to its TypeScript model and is written once.
 */
function compose(name: string, file: string): ScriptDefinition {
  const includes = [gcra, slidingWindow, fixedWindow]
    .sort((a, b) => a.code - b.code)
    .map((a) => read(path.join('algorithms', a.luaFile)));
  const lua = [...includes, read(file)].join('\n');
  return defineScript({ name, lua });
}

/** The one-round-trip, all-or-nothing decision over every policy of a request. */
export const decideScript = compose('ratelimit-decide', 'decide-N.lua');
/** Gives back a reservation's units (Redis Cluster reserve-then-rollback). */
export const refundScript = compose('ratelimit-refund', 'refund-N.lua');
