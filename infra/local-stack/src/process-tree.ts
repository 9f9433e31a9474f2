import fs from 'node:fs';

/** Parent pid of every process, read from /proc (Linux). Empty where /proc is missing. */
function parentsByPid(): Map<number, number> {
  const parents = new Map<number, number>();
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return parents;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command (which may hold spaces or ')').
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  return parents;
}

/** `pid` and all its descendants, the root first, each parent before its children. */
export function processTree(pid: number): number[] {
  const parents = parentsByPid();
  const children = new Map<number, number[]>();
  for (const [child, parent] of parents) children.set(parent, [...(children.get(parent) ?? []), child]);
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

/**
 * Signals a process and every descendant, collected before the first signal (a killed parent's children
 * are re-parented and could no longer be found). Used to freeze or kill PostgreSQL as a whole: the
 * postmaster and its backends.
 */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): void {
  for (const member of processTree(pid)) {
    try {
      process.kill(member, signal);
    } catch {
      // exited meanwhile
    }
  }
}
