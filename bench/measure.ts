import type { DbStats } from './dbStats.ts';
import { runLoad, type LoadTool } from './load/run.ts';
import type { LoadResult } from './load/types.ts';
import { busyPercent, loadAverage1m, sampleMachine, settle, watchTree } from './procStats.ts';
import { round3, type Percentiles } from './stats.ts';

/** Something to send load to, and the process (tree) whose cost that load is charged to. */
export interface Endpoint {
  target: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Stream responses must contain this near their end to count as complete. */
  expectInTail?: string;
  /** The process tree whose CPU and peak RSS this run reports (the gateway or the peer). */
  subjectPid?: number;
}

export interface RunShape {
  scenario: string;
  connections: number;
  durationMs: number;
  mode: 'full' | 'stream';
  tool: LoadTool;
  /** The simulator's pid: its CPU per request is reported for every run, as the upstream's cost. */
  upstreamPid: number;
  /** The gateway's database counters (native Postgres), read around runs that have a subject. */
  dbStats?: DbStats | undefined;
}

export interface RunRecord {
  kind: 'run';
  scenario: string;
  target: string;
  tool: 'wrk' | 'node';
  connections: number;
  durationS: number;
  requests: number;
  errors: number;
  non2xx: number;
  rps: number;
  latencyMs: Percentiles;
  ttfbMs?: Percentiles;
  subjectCpuMsPerRequest?: number;
  subjectPeakRssMB?: number;
  subjectProcesses?: number;
  /** False when the kernel refused to reset VmHWM: the peak then includes start-up. */
  peakIsPerRun?: boolean;
  /** Transactions (single-statement reads included) committed in the gateway's database per request (native Postgres only). */
  dbCommitsPerRequest?: number;
  upstreamCpuMsPerRequest: number;
  machineBusyPercent: number;
  loadAverage1m: number;
}

const MB = 1_048_576;

function roundPercentiles(p: Percentiles): Percentiles {
  return { p50: round3(p.p50), p90: round3(p.p90), p99: round3(p.p99), max: round3(p.max), mean: round3(p.mean), count: p.count };
}

export async function measure(endpoint: Endpoint, shape: RunShape): Promise<RunRecord> {
  if (endpoint.subjectPid) await settle(endpoint.subjectPid);
  await settle(shape.upstreamPid);
  const loadBefore = loadAverage1m();
  const machineStart = sampleMachine();
  const subject = endpoint.subjectPid ? watchTree(endpoint.subjectPid) : undefined;
  const upstream = watchTree(shape.upstreamPid);
  // Only the gateway uses that database; during other runs it holds just the idle gateway's polling.
  const db = endpoint.target.startsWith('gateway') ? shape.dbStats : undefined;
  const dbBefore = await db?.sample();
  const result: LoadResult = await runLoad({
    url: endpoint.url,
    method: 'POST',
    headers: endpoint.headers,
    body: endpoint.body,
    connections: shape.connections,
    durationMs: shape.durationMs,
    mode: shape.mode,
    ...(endpoint.expectInTail ? { expectInTail: endpoint.expectInTail } : {}),
  }, shape.tool);
  const s = subject?.finish();
  const u = upstream.finish();
  const dbAfter = await db?.sample();
  const perRequest = (cpuMs: number) => (result.requests ? round3(cpuMs / result.requests) : Number.NaN);
  return {
    kind: 'run',
    scenario: shape.scenario,
    target: endpoint.target,
    tool: result.tool,
    connections: shape.connections,
    durationS: round3(result.durationS),
    requests: result.requests,
    errors: result.errors,
    non2xx: result.non2xx,
    rps: Math.round(result.rps),
    latencyMs: roundPercentiles(result.latency),
    ...(result.ttfb ? { ttfbMs: roundPercentiles(result.ttfb) } : {}),
    ...(s ? {
      subjectCpuMsPerRequest: perRequest(s.cpuMs),
      subjectPeakRssMB: round3(s.peakRssBytes / MB),
      subjectProcesses: s.processes,
      peakIsPerRun: s.peaksReset,
    } : {}),
    ...(dbBefore && dbAfter ? { dbCommitsPerRequest: perRequest(dbAfter.commits - dbBefore.commits) } : {}),
    upstreamCpuMsPerRequest: perRequest(u.cpuMs),
    machineBusyPercent: Math.round(busyPercent(machineStart, sampleMachine())),
    loadAverage1m: loadBefore,
  };
}
