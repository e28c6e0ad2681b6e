import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runToCompletion } from '../processes.ts';
import { round3 } from '../stats.ts';
import { checkSpec, type LoadResult, type LoadSpec } from './types.ts';

const LUA_SCRIPT = fileURLToPath(new URL('./post.lua', import.meta.url));
const NODE_MAIN = fileURLToPath(new URL('./nodeMain.ts', import.meta.url));

let wrkPresent: boolean | undefined;
export function wrkAvailable(): boolean {
  wrkPresent ??= spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  return wrkPresent;
}

export type LoadTool = 'wrk' | 'node';

/**
 * wrk for whole responses when it is installed (C, microsecond latencies); the node generator for
 * streams (wrk cannot see the first byte) and whenever wrk is missing or not wanted.
 */
export function toolFor(spec: LoadSpec, prefer: LoadTool): LoadTool {
  return spec.mode === 'full' && prefer === 'wrk' && wrkAvailable() ? 'wrk' : 'node';
}

interface WrkSummary {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { min: number; mean: number; max: number; p50: number; p90: number; p99: number };
}

export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout.slice(-2000)}`);
  const s = JSON.parse(line.slice('BENCH_RESULT '.length)) as WrkSummary;
  // wrk reports zeros when nothing completed; no request means no latency, not a zero one.
  const ms = (us: number) => (s.requests > 0 ? round3(us / 1000) : Number.NaN);
  const durationS = s.duration_us / 1e6;
  const e = s.errors;
  return {
    tool: 'wrk',
    requests: s.requests,
    errors: e.connect + e.read + e.write + e.status + e.timeout,
    non2xx: e.status,
    durationS,
    rps: s.requests / durationS,
    latency: {
      p50: ms(s.latency_us.p50), p90: ms(s.latency_us.p90), p99: ms(s.latency_us.p99),
      max: ms(s.latency_us.max), mean: ms(s.latency_us.mean), count: s.requests,
    },
  };
}

async function runWrk(spec: LoadSpec): Promise<LoadResult> {
  const seconds = Math.max(1, Math.round(spec.durationMs / 1000));
  const headers = Object.entries(spec.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
  const stdout = await runToCompletion('wrk', 'wrk', [
    '-t1', `-c${spec.connections}`, `-d${seconds}s`, '--timeout', '30s', '-s', LUA_SCRIPT, spec.url,
  ], {
    env: { PATH: process.env.PATH, BENCH_METHOD: spec.method, BENCH_BODY: spec.body ?? '', BENCH_HEADERS: headers },
    timeoutMs: spec.durationMs + 60_000,
  });
  return parseWrkOutput(stdout);
}

async function runNode(spec: LoadSpec): Promise<LoadResult> {
  const stdout = await runToCompletion('node load generator', process.execPath, [NODE_MAIN, JSON.stringify(spec)], {
    env: { PATH: process.env.PATH },
    timeoutMs: spec.durationMs + 60_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoadResult;
}

/** Runs one load in a separate process and returns what it measured. */
export function runLoad(spec: LoadSpec, prefer: LoadTool): Promise<LoadResult> {
  checkSpec(spec);
  return toolFor(spec, prefer) === 'wrk' ? runWrk(spec) : runNode(spec);
}
