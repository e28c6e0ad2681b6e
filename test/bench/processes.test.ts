import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { spawnChild } from '../../bench/processes.ts';
import { cpuMsBetween, peakRssBytes, processTree, readStat, resetPeakRss, sampleCpu, watchTree } from '../../bench/procStats.ts';

/** Running or sleeping; a zombie (exited, not yet reaped) counts as gone. */
function alive(pid: number): boolean {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A node process that starts a grandchild, prints its pid, then spins for CPU time. */
const PARENT = `
const { spawn } = require('node:child_process');
const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log(JSON.stringify({ grandchild: g.pid }));
const end = Date.now() + 400; while (Date.now() < end) {}
setInterval(() => {}, 1000);
`;

describe('child processes and /proc readings', () => {
  it('sees a child and its grandchild as one tree, with the CPU they use, and stops them together', async () => {
    const child = spawnChild('tree', process.execPath, ['-e', PARENT]);
    const watch = watchTree(child.pid);
    const { grandchild } = await child.waitForLine((l) => (l.startsWith('{') ? JSON.parse(l) as { grandchild: number } : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(processTree(child.pid)).toEqual(expect.arrayContaining([child.pid, grandchild]));
    const seen = watch.finish();
    expect(seen.processes).toBeGreaterThanOrEqual(2);
    expect(seen.cpuMs).toBeGreaterThan(0);
    expect(seen.peakRssBytes).toBeGreaterThan(1_000_000);

    await child.stop(2_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(child.pid)).toBe(false);
    expect(alive(grandchild)).toBe(false);
  });

  it('rejects waiting for a line from a child that exits, with its output', async () => {
    const child = spawnChild('quitter', process.execPath, ['-e', 'console.error("cannot start: port taken"); process.exit(3)']);
    await expect(child.waitForLine(() => undefined, 5_000)).rejects.toThrow(/exited \(code 3.*\n.*port taken/s);
  });

  it('reads this process: command, CPU ticks that grow with work, peak RSS', () => {
    const before = sampleCpu([process.pid]);
    const end = Date.now() + 150;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(cpuMsBetween(before, sampleCpu([process.pid]))).toBeGreaterThan(0);
    expect(readStat(process.pid)!.ppid).toBe(process.ppid);
    expect(peakRssBytes(process.pid)).toBeGreaterThan(10_000_000);
    expect(typeof resetPeakRss(process.pid)).toBe('boolean');
    expect(readStat(2 ** 30)).toBeUndefined();
  });
});
