import fs from 'node:fs';
import { processTree } from '@redwire/launchers';

/**
 * Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 per second on every mainstream build: a
 * measured window must hold far more than 10 ms of a process's CPU to be read to a few per cent.
 */
const TICKS_PER_SECOND = 100;

/**
 * utime + stime of one process in seconds (from /proc/<pid>/stat), 0 when it is gone; with `reaped`, plus
 * the time of its children that exited and were waited for (cutime + cstime).
 */
export function processCpuSeconds(pid: number, reaped = false): number {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // "<pid> (<comm>) <state> …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line (utime, stime) are 11 and 12 after the state (field 3).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const children = reaped ? Number(fields[13]) + Number(fields[14]) : 0;
  if (!Number.isFinite(utime + stime + children)) throw new Error(`/proc/${pid}/stat: unreadable`);
  return (utime + stime + children) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of a process and its descendants (PostgreSQL's backends under the postmaster): the live ones'
 * own time plus what each has reaped from children that exited (counted once: a reaped child is gone).
 */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + processCpuSeconds(p, true), 0);
}
