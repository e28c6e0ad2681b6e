import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench` end to end, briefly: the simulator, the real gateway process (native Postgres
 * when DATABASE_URL is set), the load generator, then results on disk. Checks the harness works and
 * reports honestly; it makes no claim about speed.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runBench(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bench/run.ts', ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (t: Buffer) => { stderr = (stderr + t.toString()).slice(-20_000); });
    const timer = setTimeout(() => child.kill('SIGINT'), 110_000);
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr }); });
  });
}

describe('npm run bench', () => {
  it('runs the c=1/16/64 chat scenarios against the real gateway and writes JSON lines and Markdown', async () => {
    const { code, stderr } = await runBench(['--quick', '--duration', '1', '--only', 'chat', '--loadgen', 'node']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const records = readFileSync(`${ROOT}/bench/results/quick.jsonl.tmp`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const meta = records.find((r) => r.kind === 'meta');
    expect(meta.storage).toBe(process.env.DATABASE_URL ? 'postgres' : 'pglite');
    expect(meta.costComputed).toBe(true);
    const runs = records.filter((r) => r.kind === 'run');
    expect(runs.map((r) => `${r.scenario}/${r.target}`)).toEqual([1, 16, 64].flatMap((c) => ['direct', 'gateway', 'control'].map((t) => `chat c=${c}/${t}`)));
    for (const r of runs) expect(r.requests).toBeGreaterThan(0);
    const gateway = runs.filter((r) => r.target === 'gateway');
    for (const r of gateway) {
      expect(r.subjectCpuMsPerRequest).toBeGreaterThan(0);
      expect(r.subjectPeakRssMB).toBeGreaterThan(10);
      if (process.env.DATABASE_URL) expect(r.dbCommitsPerRequest).toBeGreaterThan(0);
      else expect(r.dbCommitsPerRequest).toBeUndefined();
    }
    const targets = records.filter((r) => r.kind === 'target');
    expect(targets.filter((t) => t.target.startsWith('gateway CPU per request')).map((t) => typeof t.pass)).toEqual(['boolean', 'boolean', 'boolean']);
    expect(targets.find((t) => t.target.startsWith('requests/s vs the peer')).pass).toBeNull();
    const markdown = readFileSync(`${ROOT}/bench/results/quick.md.tmp`, 'utf8');
    expect(markdown).toContain('## Targets');
    expect(markdown).toContain('| chat c=64 | gateway | node |');
  }, 120_000);

  it('runs the long run as consecutive gateway windows and sets the last against the first', async () => {
    const { code, stderr } = await runBench(['--quick', '--duration', '1', '--only', 'longrun', '--loadgen', 'node']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const records = readFileSync(`${ROOT}/bench/results/quick.jsonl.tmp`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const runs = records.filter((r) => r.kind === 'run');
    expect(runs.map((r) => `${r.scenario}/${r.target}`)).toEqual([1, 2, 3, 4, 5, 6].map((w) => `long run c=64/gateway window ${w}`));
    for (const r of runs) {
      expect(r.requests).toBeGreaterThan(0);
      expect(r.subjectCpuMsPerRequest).toBeGreaterThan(0);
      expect(r.subjectPeakRssMB).toBeGreaterThan(10);
    }
    const errors = records.find((r) => r.kind === 'target' && r.target === 'errors through the gateway (all runs)');
    expect(errors.measured).toBe(`0 of ${runs.reduce((n, r) => n + r.requests, 0)}`);
    const markdown = readFileSync(`${ROOT}/bench/results/quick.md.tmp`, 'utf8');
    expect(markdown).toContain('## Long run');
    expect(markdown).toContain('| long run c=64 | gateway window 6 | node |');
    const ratio = Math.round((runs[5].rps / runs[0].rps) * 1000) / 1000;
    expect(markdown).toContain(`Last window ÷ first: ${ratio}× requests/s`);
    expect(markdown).not.toContain('## Non-streaming chat');
  }, 120_000);

  it('refuses an unknown option with the usage text and exit code 2', async () => {
    const { code, stderr } = await runBench(['--turbo']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option "--turbo"');
    expect(stderr).toContain('--peer portkey');
  });
});
