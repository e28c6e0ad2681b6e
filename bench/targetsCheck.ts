import type { ScenarioRecord } from './compare.ts';
import type { EventStoreRecord } from './eventstoreScenario.ts';
import type { LagRecord } from './lag.ts';
import type { RunRecord } from './measure.ts';
import { round3 } from './stats.ts';

/** The performance targets, each judged pass/fail with the margin it passed or failed by. */
export interface TargetRecord {
  kind: 'target';
  target: string;
  limit: string;
  measured: string;
  /** null: the scenario it needs did not run. */
  pass: boolean | null;
  margin: string;
  /** The control run's difference for the same figure, when there is one. */
  noise?: string;
}

export const LIMITS = {
  cpuMsPerRequest: 0.35,
  peerRpsRatio: 3,
  addedP50MsAtC1: 0.5,
  streamAddedTtfbP50Ms: 1,
  streamAddedTotalP50Ms: 1,
  peakRssMB: 150,
  lagP99Ms: 200,
} as const;

type AnyRecord = RunRecord | ScenarioRecord | LagRecord | EventStoreRecord | { kind: string };

const fmt = (n: number, unit: string) => `${round3(n)}${unit ? ` ${unit}` : ''}`;

function atMost(target: string, value: number | undefined, limit: number, unit: string, noise?: number, strict = false): TargetRecord {
  const sign = strict ? '<' : '≤';
  if (value === undefined) return { kind: 'target', target, limit: `${sign} ${fmt(limit, unit)}`, measured: 'not measured', pass: null, margin: '' };
  if (Number.isNaN(value)) return { kind: 'target', target, limit: `${sign} ${fmt(limit, unit)}`, measured: 'no request completed', pass: false, margin: '' };
  const pass = strict ? value < limit : value <= limit;
  const margin = pass
    ? `${fmt(limit - value, unit)} under`
    : `${fmt(value - limit, unit)} over (${round3(value / limit)}× the limit)`;
  return {
    kind: 'target', target, limit: `${sign} ${fmt(limit, unit)}`, measured: fmt(value, unit), pass, margin,
    ...(noise !== undefined ? { noise: `±${fmt(Math.abs(noise), unit)}` } : {}),
  };
}

function notRun(target: string, limit: string, why: string): TargetRecord {
  return { kind: 'target', target, limit, measured: why, pass: null, margin: '' };
}

export function evaluateTargets(records: AnyRecord[]): TargetRecord[] {
  const scenarios = records.filter((r): r is ScenarioRecord => r.kind === 'scenario');
  const runs = records.filter((r): r is RunRecord => r.kind === 'run');
  const lag = records.find((r): r is LagRecord => r.kind === 'lag');
  const scenario = (name: string) => scenarios.find((s) => s.scenario === name);
  const out: TargetRecord[] = [];

  for (const s of scenarios.filter((x) => x.mode === 'full')) {
    out.push(atMost(`gateway CPU per request, ${s.scenario}`, s.gatewayCpuMsPerRequest, LIMITS.cpuMsPerRequest, 'ms'));
  }

  const c64 = scenario('chat c=64');
  if (c64?.peer) {
    const ratio = c64.peer.gatewayRpsRatio;
    const pass = ratio >= LIMITS.peerRpsRatio;
    out.push({
      kind: 'target', target: 'requests/s vs the peer, chat c=64', limit: `≥ ${LIMITS.peerRpsRatio}×`, measured: `${ratio}×`, pass,
      margin: pass ? `${round3(ratio - LIMITS.peerRpsRatio)}× above` : `${round3(LIMITS.peerRpsRatio - ratio)}× short`,
    });
  } else {
    out.push(notRun('requests/s vs the peer, chat c=64', `≥ ${LIMITS.peerRpsRatio}×`, 'not run (npm run bench -- --peer portkey)'));
  }

  const c1 = scenario('chat c=1');
  out.push(c1 ? atMost('added latency p50, chat c=1', c1.addedMs.p50, LIMITS.addedP50MsAtC1, 'ms', c1.noiseMs.p50)
    : notRun('added latency p50, chat c=1', `≤ ${LIMITS.addedP50MsAtC1} ms`, 'not run'));

  const gatewayRuns = runs.filter((r) => r.target.startsWith('gateway'));
  const errors = gatewayRuns.reduce((n, r) => n + r.errors, 0);
  const requests = gatewayRuns.reduce((n, r) => n + r.requests, 0);
  out.push({
    kind: 'target', target: 'errors through the gateway (all runs)', limit: '0', measured: `${errors} of ${requests}`,
    pass: gatewayRuns.length ? errors === 0 : null, margin: errors === 0 ? '' : `${errors} over`,
  });

  const s1 = scenario('stream c=1');
  if (s1?.addedTtfbMs) {
    out.push(atMost('added time to first byte p50, stream c=1', s1.addedTtfbMs.p50, LIMITS.streamAddedTtfbP50Ms, 'ms', s1.noiseTtfbMs?.p50));
    out.push(atMost('added total stream time p50, stream c=1', s1.addedMs.p50, LIMITS.streamAddedTotalP50Ms, 'ms', s1.noiseMs.p50));
  } else {
    out.push(notRun('added time to first byte p50, stream c=1', `≤ ${LIMITS.streamAddedTtfbP50Ms} ms`, 'not run'));
    out.push(notRun('added total stream time p50, stream c=1', `≤ ${LIMITS.streamAddedTotalP50Ms} ms`, 'not run'));
  }

  const peaks = gatewayRuns.map((r) => r.subjectPeakRssMB).filter((v): v is number => v !== undefined);
  out.push(atMost('peak RSS per gateway process (largest of all runs)', peaks.length ? Math.max(...peaks) : undefined, LIMITS.peakRssMB, 'MB'));

  if (lag) {
    out.push(atMost(`projection lag p99 (${lag.readFrom})`, lag.lagMs.p99, LIMITS.lagP99Ms, 'ms', undefined, true));
    out.push({
      kind: 'target', target: 'no event lost under load', limit: 'every outcome projected',
      measured: `${lag.projected}/${lag.probes} probes; ${lag.projectedSucceeded} succeeded rows for ${lag.load.ok} 2xx`,
      pass: lag.noEventLost, margin: lag.noEventLost ? '' : `${lag.lost} probes missing`,
    });
  } else {
    out.push(notRun('projection lag p99', `< ${LIMITS.lagP99Ms} ms`, 'not run'));
    out.push(notRun('no event lost under load', 'every outcome projected', 'not run'));
  }
  return out;
}
