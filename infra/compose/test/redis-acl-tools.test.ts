import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclRedis, NOPERM, passwordOf, startAclRedis } from './support/acl-redis';

// The `tools` ACL user of both compose Redis instances (redis-commander, `redis-cli --user tools`): it may
// read every key and run the diagnostics an operator needs, and it may change nothing, neither a key nor
// the server's state (no SLOWLOG RESET, CONFIG SET, SCRIPT FLUSH, ...).

/** The server-wide diagnostics the tools user is for; every other admin command stays refused. */
const DIAGNOSTICS = [
  'info',
  'slowlog|get',
  'slowlog|len',
  'memory|usage',
  'memory|stats',
  'memory|doctor',
  'latency|latest',
  'latency|history',
  'latency|doctor',
  'latency|graph',
];

/** What a connection needs (ioredis: AUTH/HELLO, CLIENT SETNAME, SELECT; redis-cli: COMMAND DOCS). */
const CONNECTION = [
  'auth',
  'hello',
  'ping',
  'echo',
  'select',
  'client|setname',
  'client|getname',
  'client|id',
  'command|docs',
  'command|count',
];

/** Commands tools may run that Redis files under a write, admin, dangerous or blocking category. */
const PERMITTED = new Set([...DIAGNOSTICS, ...CONNECTION, 'xread', 'sort_ro', 'randomkey']);

let state: AclRedis;
let cache: AclRedis;

beforeAll(async () => {
  [state, cache] = await Promise.all([startAclRedis('users.acl'), startAclRedis('users-cache.acl')]);
});

afterAll(async () => {
  await Promise.all([state?.stop(), cache?.stop()]);
});

/** `[name, arity, flags, first, last, step, categories, tips, key specs, subcommands]` of COMMAND INFO. */
type CommandInfo = [
  string,
  number,
  string[],
  number,
  number,
  number,
  string[],
  unknown,
  unknown,
  CommandInfo[],
];

/** Every command and subcommand of the server, with its flags and ACL categories. */
async function allCommands(
  admin: Redis,
): Promise<{ name: string; arity: number; flags: string[]; categories: string[] }[]> {
  const infos = (await admin.call('COMMAND', 'INFO')) as CommandInfo[];
  return infos.flatMap((info) => {
    const subcommands = info[9] ?? [];
    const entries = subcommands.length > 0 ? subcommands : [info];
    return entries.map((entry) => ({
      name: String(entry[0]).toLowerCase(),
      arity: Number(entry[1]),
      flags: (entry[2] ?? []).map(String),
      categories: (entry[6] ?? []).map((c) => String(c).replace(/^@/, '')),
    }));
  });
}

/** `ACL DRYRUN tools <command> 1 1 ...` with as many arguments as the command's arity asks for. */
async function dryRun(admin: Redis, name: string, arity: number): Promise<string> {
  const words = name.split('|');
  const args = Array.from({ length: Math.max(Math.abs(arity) - words.length, 0) }, () => '1');
  try {
    return String(await admin.call('ACL', 'DRYRUN', 'tools', ...words, ...args));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe.each([
  ['users.acl', () => state],
  ['users-cache.acl', () => cache],
])('the tools user of %s', (_file, server) => {
  it('when it inspects keys every service wrote, then reads, scans and the diagnostics all answer', async () => {
    const { admin } = server();
    await admin.set('gateway:rl:{x}', '7', 'PX', 60_000);
    await admin.hset('auth:session:{ab}:s:1', 'userId', 'u1');
    await admin.xadd('user:stream:{user-events}', '*', 'type', 'user.updated');
    const tools = await server().connectAs('tools');

    expect(await tools.get('gateway:rl:{x}')).toBe('7');
    expect(await tools.hgetall('auth:session:{ab}:s:1')).toEqual({ userId: 'u1' });
    expect(await tools.type('user:stream:{user-events}')).toBe('stream');
    expect(await tools.xlen('user:stream:{user-events}')).toBe(1);
    expect(await tools.call('XINFO', 'STREAM', 'user:stream:{user-events}')).toBeInstanceOf(Array);
    expect(await tools.pttl('gateway:rl:{x}')).toBeGreaterThan(0);
    expect(await tools.ttl('auth:session:{ab}:s:1')).toBe(-1);
    const [, keys] = await tools.scan('0', 'MATCH', '*', 'COUNT', 100);
    expect(keys.sort()).toEqual(['auth:session:{ab}:s:1', 'gateway:rl:{x}', 'user:stream:{user-events}']);
    expect(await tools.dbsize()).toBe(3);
    expect(await tools.info('memory')).toContain('used_memory:');
    expect(await tools.call('SLOWLOG', 'GET', '10')).toBeInstanceOf(Array);
    expect(await tools.call('SLOWLOG', 'LEN')).toBeTypeOf('number');
    expect(await tools.call('MEMORY', 'USAGE', 'gateway:rl:{x}')).toBeGreaterThan(0);
    expect(await tools.call('MEMORY', 'STATS')).toBeInstanceOf(Array);
    expect(await tools.call('MEMORY', 'DOCTOR')).toBeTypeOf('string');
    expect(await tools.call('LATENCY', 'LATEST')).toBeInstanceOf(Array);
    expect(await tools.call('LATENCY', 'DOCTOR')).toBeTypeOf('string');
    expect(await tools.call('CLIENT', 'SETNAME', 'redis-commander')).toBe('OK');
    expect(await server().takeDenials()).toEqual([]);
  });

  it('when it tries to change a key or the server, then Redis refuses and nothing changes', async () => {
    const { admin } = server();
    await admin.set('user:x', 'before');
    const tools = await server().connectAs('tools');
    const attempts: [string, ...(string | number)[]][] = [
      ['SET', 'user:x', 'after'],
      ['DEL', 'user:x'],
      ['EXPIRE', 'user:x', 1],
      ['HSET', 'auth:session:{ab}:u', 'role', 'admin'],
      ['XADD', 'user:stream:{user-events}', '*', 'type', 'x'],
      ['EVAL', "return redis.call('SET', KEYS[1], 'after')", 1, 'user:x'],
      ['EVAL_RO', "return redis.call('GET', KEYS[1])", 1, 'user:x'],
      ['FLUSHALL'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['CONFIG', 'GET', 'requirepass'],
      ['SLOWLOG', 'RESET'],
      ['LATENCY', 'RESET'],
      ['MEMORY', 'PURGE'],
      ['SCRIPT', 'FLUSH'],
      ['FUNCTION', 'FLUSH'],
      ['CLIENT', 'KILL', 'TYPE', 'normal'],
      ['CLIENT', 'LIST'],
      ['KEYS', '*'],
      ['MONITOR'],
      ['PUBLISH', 'x', 'y'],
      ['ACL', 'SETUSER', 'tools', '+@all'],
      ['SHUTDOWN', 'NOSAVE'],
    ];
    for (const [command, ...args] of attempts) {
      await expect(tools.call(command, ...args), command).rejects.toThrow(NOPERM);
    }
    expect(await admin.get('user:x')).toBe('before');
    await server().takeDenials();
  });

  it('when every command of the server is dry-run as tools, then none that writes or administers is allowed beyond the listed diagnostics', async () => {
    const { admin } = server();
    const commands = await allCommands(admin);
    expect(commands.length).toBeGreaterThan(200);
    const allowed: string[] = [];
    for (const command of commands) {
      const risky =
        command.flags.includes('write') ||
        ['write', 'admin', 'dangerous', 'scripting', 'pubsub', 'blocking'].some((c) =>
          command.categories.includes(c),
        );
      if (!risky) continue;
      if ((await dryRun(admin, command.name, command.arity)) === 'OK') allowed.push(command.name);
    }
    // Risky by category only: the diagnostics (server-wide, read-only) and the connection commands.
    expect(allowed.filter((name) => !PERMITTED.has(name))).toEqual([]);
    for (const name of DIAGNOSTICS) {
      const arity = commands.find((c) => c.name === name)?.arity ?? 0;
      expect(await dryRun(admin, name, arity), name).toBe('OK');
    }
    expect(commands.filter((c) => c.flags.includes('write') && allowed.includes(c.name))).toEqual([]);
  });
});

it('when the tools user authenticates with another user’s password, then it is refused', async () => {
  const probe = await state.connectAs('healthcheck');
  expect(await probe.call('AUTH', 'tools', passwordOf('tools'))).toBe('OK');
  await expect(probe.call('AUTH', 'tools', passwordOf('user'))).rejects.toThrow(/WRONGPASS/);
});
