import { signalProcessTree } from '@redwire/launchers';
import { Redis } from 'ioredis';

/** Opens a short-lived admin connection, runs `fn`, and closes it. */
async function withAdmin<T>(url: string, fn: (admin: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectionName: 'redwire-test-admin',
  });
  admin.on('error', () => {});
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    admin.disconnect();
  }
}

/**
 * Makes the server stop answering every client for `ms` (CLIENT PAUSE … ALL): commands queue up
 * server-side, which is how a stalled Redis looks to a client. Returns once the pause is in force.
 */
export async function pauseRedis(url: string, ms: number): Promise<void> {
  await withAdmin(url, (admin) => admin.call('CLIENT', 'PAUSE', String(ms), 'ALL'));
}

/**
 * Blocks the whole server for `seconds` with DEBUG SLEEP (needs `enableDebug`). Resolves right away;
 * the sleep goes on in the background until the server wakes up.
 */
export async function sleepRedis(url: string, seconds: number): Promise<void> {
  const admin = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectionName: 'redwire-test-sleeper',
  });
  admin.on('error', () => {});
  await admin.connect();
  void admin
    .call('DEBUG', 'SLEEP', String(seconds))
    .catch(() => {})
    .finally(() => admin.disconnect());
  // Give the server a moment to enter the sleep before the caller issues commands.
  await new Promise((r) => setTimeout(r, 20));
}

/** Kills every connection with this client name (`CLIENT SETNAME`), returning how many were killed. */
export async function killRedisClients(url: string, filter: { name?: string; addr?: string; type?: string }) {
  return withAdmin(url, async (admin) => {
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    let killed = 0;
    for (const line of list.split('\n')) {
      const fields = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
      if (!fields.id || fields.name === 'redwire-test-admin') continue;
      if (filter.name !== undefined && fields.name !== filter.name) continue;
      if (filter.addr !== undefined && fields.addr !== filter.addr) continue;
      if (filter.type !== undefined && !(fields.flags ?? '').includes(filter.type)) continue;
      killed += Number(await admin.call('CLIENT', 'KILL', 'ID', fields.id));
    }
    return killed;
  });
}

/** Counts connected clients, optionally only those with a given name. */
export async function countRedisClients(url: string, name?: string): Promise<number> {
  return withAdmin(url, async (admin) => {
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    return list
      .split('\n')
      .filter((line) => line.includes('id=') && !line.includes('name=redwire-test-admin'))
      .filter((line) => name === undefined || line.includes(` name=${name} `)).length;
  });
}

/**
 * Freezes a server (SIGSTOP) with all its child processes (PostgreSQL's backends): connections stay open
 * and nothing answers, which is how a stalled host or a long GC pause looks to a client. The parent is
 * stopped first so it cannot start new children, then the tree is read again. Undo with {@link thaw}.
 */
export function freeze(pid: number): void {
  process.kill(pid, 'SIGSTOP');
  signalProcessTree(pid, 'SIGSTOP');
}

/** Resumes (SIGCONT) a server frozen by {@link freeze}, with its children. */
export function thaw(pid: number): void {
  signalProcessTree(pid, 'SIGCONT');
}
