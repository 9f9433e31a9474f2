import fs from 'node:fs';
import { processTree } from '@redwire/launchers';

/**
 * Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 per second on every mainstream build: a window
 * holding a few ticks of a process's CPU may read 0 (CI saw PostgreSQL's 500 cache misses read 0). The
 * scheduler's own run time in /proc/<pid>/schedstat is in nanoseconds, so a live process is read from there
 * when the kernel has it; the ticks remain for kernels without it and for reaped children (stat only).
 */
const TICKS_PER_SECOND = 100;

function readProc(pid: number, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** The first field of /proc/<pid>/schedstat: time spent on a CPU, nanoseconds; undefined without it. */
function scheduledSeconds(pid: number): number | undefined {
  const text = readProc(pid, 'schedstat');
  const ns = text === undefined ? Number.NaN : Number(text.split(' ')[0]);
  return Number.isFinite(ns) ? ns / 1e9 : undefined;
}

/**
 * CPU seconds of one process (its own run time), 0 when it is gone; with `reaped`, plus the time of its
 * children that exited and were waited for (cutime + cstime, ticks: the only record of them).
 */
export function processCpuSeconds(pid: number, reaped = false): number {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return 0;
  // "<pid> (<comm>) <state> …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14–17 of the line (utime, stime, cutime, cstime) are 11–14 after the state (field 3).
  const ticks = (i: number) => Number(fields[i]) / TICKS_PER_SECOND;
  const own = scheduledSeconds(pid) ?? ticks(11) + ticks(12);
  const children = reaped ? ticks(13) + ticks(14) : 0;
  if (!Number.isFinite(own + children)) throw new Error(`/proc/${pid}/stat: unreadable`);
  return own + children;
}

/**
 * CPU seconds of a process and its descendants (PostgreSQL's backends under the postmaster): the live ones'
 * own time plus what each has reaped from children that exited (counted once: a reaped child is gone).
 */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + processCpuSeconds(p, true), 0);
}
