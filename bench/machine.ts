import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** What the numbers were measured on: they mean little without it. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'projections', 'migrations'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (+ uncommitted changes under src/)` : sha;
  } catch {
    return 'unknown';
  }
}

function wrkVersion(): string | undefined {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return undefined;
  return (r.stdout || r.stderr).split('\n')[0]?.replace(/\s+Copyright.*$/, '').trim();
}

function peerVersion(): string | undefined {
  try {
    return JSON.parse(readFileSync(`${ROOT}/node_modules/@portkey-ai/gateway/package.json`, 'utf8')).version;
  } catch {
    return undefined;
  }
}

export function describeMachine() {
  return {
    cores: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    wrk: wrkVersion() ?? 'not installed',
    portkeyGateway: peerVersion(),
    commit: commit(),
  };
}
