import fs from 'node:fs';
import { processTree } from '@redwire/launchers';

/** Resident set size of one process in KiB (VmRSS), 0 when it is gone. */
function rssKiB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Proportional set size in KiB (shared pages divided among the processes sharing them), 0 when gone. */
function pssKiB(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(/^Pss:\s+(\d+)\s+kB/m.exec(rollup)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const toMiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;

/** Resident memory of one process in MiB (RSS). */
export function rssMiB(pid: number | undefined): number {
  return pid === undefined ? 0 : toMiB(rssKiB(pid));
}

/**
 * Memory of a process and its descendants in MiB, as the sum of their PSS: PostgreSQL's backends all map
 * the shared buffers, so summing their RSS would count those pages once per backend.
 */
export function treeMemoryMiB(pid: number | undefined): number {
  return pid === undefined ? 0 : toMiB(processTree(pid).reduce((sum, p) => sum + pssKiB(p), 0));
}
