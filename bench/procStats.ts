import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * CPU time and peak memory of processes, read from /proc (Linux only). CPU is counted in clock
 * ticks (usually 10 ms each), so figures are only meaningful over runs of a second or more.
 */

let ticksPerSecond: number | undefined;
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface StatFields {
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

/** Fields of /proc/<pid>/stat; undefined once the process is gone. */
export function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses; everything after the last ')' is fixed.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return {
    comm: text.slice(open + 1, close),
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
  };
}

const MAX_TREE = 256;

/** The process and its descendants (cluster workers), found by parent pid. */
export function processTree(root: number): number[] {
  const byParent = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [root];
  }
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else byParent.set(stat.ppid, [pid]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length && tree.length < MAX_TREE; i++) {
    for (const child of byParent.get(tree[i]!) ?? []) tree.push(child);
  }
  return tree;
}

/** Processes whose command name is exactly `comm` (e.g. every `postgres` backend). */
export function processesNamed(comm: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of entries) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && readStat(pid)?.comm === comm) found.push(pid);
  }
  return found;
}

/** Peak resident set size (VmHWM) in bytes; undefined once the process is gone. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS so the next reading is this run's peak; false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface CpuSample {
  at: bigint;
  ticks: Map<number, number>;
}

export function sampleCpu(pids: readonly number[]): CpuSample {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) ticks.set(pid, stat.cpuTicks);
  }
  return { at: process.hrtime.bigint(), ticks };
}

/** CPU milliseconds used between two samples; a pid first seen in `end` counts from zero. */
export function cpuMsBetween(start: CpuSample, end: CpuSample): number {
  let ticks = 0;
  for (const [pid, t] of end.ticks) ticks += t - (start.ticks.get(pid) ?? 0);
  return (ticks * 1000) / clockTicksPerSecond();
}

/**
 * Watches a process tree over one run: CPU used and the largest per-process peak RSS. Peaks are
 * reset at the start where the kernel allows, so they belong to the run and not to start-up.
 */
export function watchTree(root: number) {
  const pids = processTree(root);
  const peaksReset = pids.map(resetPeakRss).every(Boolean);
  const start = sampleCpu(pids);
  return {
    pids,
    finish() {
      const now = processTree(root);
      const end = sampleCpu(now);
      const peaks = now.map((pid) => peakRssBytes(pid) ?? 0);
      return {
        cpuMs: cpuMsBetween(start, end),
        wallMs: Number(end.at - start.at) / 1e6,
        processes: now.length,
        peakRssBytes: Math.max(0, ...peaks),
        peaksReset,
      };
    },
  };
}

export interface MachineSample {
  busy: number;
  total: number;
}

/** Whole-machine CPU counters from /proc/stat, to tell how busy the machine was during a run. */
export function sampleMachine(): MachineSample {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Percent of all cores' time that was busy between two samples. */
export function busyPercent(start: MachineSample, end: MachineSample): number {
  const total = end.total - start.total;
  return total > 0 ? (100 * (end.busy - start.busy)) / total : Number.NaN;
}

export function loadAverage1m(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/**
 * Waits until a process tree is nearly idle: wrk abandons in-flight requests when it stops, and the
 * cancellations they cause must not be charged to the next run. Bounded by `maxMs`.
 */
export async function settle(root: number, maxMs = 5_000, windowMs = 250, maxBusyPercent = 10): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < maxMs) {
    const pids = processTree(root);
    const before = sampleCpu(pids);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if ((100 * cpuMsBetween(before, sampleCpu(pids))) / windowMs <= maxBusyPercent) break;
  }
  return Date.now() - started;
}
