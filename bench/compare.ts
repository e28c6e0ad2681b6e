import { measure, type Endpoint, type RunRecord, type RunShape } from './measure.ts';
import { round3, type Percentiles } from './stats.ts';

/**
 * One scenario: the same load straight at the simulator, through the gateway, through the peer
 * (when there is one), then straight at the simulator again. The repeat is the control: how far
 * two identical runs differ on this machine right now, i.e. the noise floor of every difference.
 */
export interface Delta {
  p50: number;
  p90: number;
  p99: number;
}

export interface ScenarioRecord {
  kind: 'scenario';
  scenario: string;
  mode: 'full' | 'stream';
  connections: number;
  /** Gateway minus direct: what the gateway adds to each request (total time). */
  addedMs: Delta;
  /** Gateway minus direct, time to first byte (streams). */
  addedTtfbMs?: Delta;
  /** Control minus direct: the noise floor. */
  noiseMs: Delta;
  noiseTtfbMs?: Delta;
  /** Requests/s through the gateway over requests/s straight to the simulator. */
  rpsOfDirect: number;
  noiseRpsPercent: number;
  gatewayCpuMsPerRequest: number | undefined;
  gatewayPeakRssMB: number | undefined;
  errors: number;
  peer?: {
    addedMs: Delta;
    addedTtfbMs?: Delta;
    rps: number;
    cpuMsPerRequest: number | undefined;
    peakRssMB: number | undefined;
    errors: number;
    /** Gateway requests/s over the peer's. */
    gatewayRpsRatio: number;
    /** Gateway CPU per request over the peer's. */
    gatewayCpuRatio: number | undefined;
    /** Gateway latency over the peer's (total time; streams also time to first byte). */
    gatewayLatencyRatio: Delta;
    gatewayTtfbRatio?: Delta;
    gatewayRssRatio: number | undefined;
  };
}

const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? round3(a / b) : undefined);

const ratios = (a: Percentiles, b: Percentiles): Delta => ({
  p50: round3(a.p50 / b.p50),
  p90: round3(a.p90 / b.p90),
  p99: round3(a.p99 / b.p99),
});

export const delta = (a: Percentiles, b: Percentiles): Delta => ({
  p50: round3(a.p50 - b.p50),
  p90: round3(a.p90 - b.p90),
  p99: round3(a.p99 - b.p99),
});

export interface ScenarioEndpoints {
  direct: Endpoint;
  gateway: Endpoint;
  peer?: Endpoint;
}

export async function runScenario(
  shape: Omit<RunShape, 'scenario'> & { scenario: string },
  endpoints: ScenarioEndpoints,
  record: (r: RunRecord) => void,
): Promise<ScenarioRecord> {
  const run = async (endpoint: Endpoint) => {
    const r = await measure(endpoint, shape);
    record(r);
    return r;
  };
  const direct = await run(endpoints.direct);
  const gateway = await run(endpoints.gateway);
  const peer = endpoints.peer ? await run(endpoints.peer) : undefined;
  const control = await run({ ...endpoints.direct, target: 'control' });
  return summarizeScenario(shape.scenario, shape.mode, shape.connections, { direct, gateway, control, peer });
}

export function summarizeScenario(
  scenario: string, mode: 'full' | 'stream', connections: number,
  runs: { direct: RunRecord; gateway: RunRecord; control: RunRecord; peer?: RunRecord | undefined },
): ScenarioRecord {
  const { direct, gateway, control, peer } = runs;
  const ttfb = (a: RunRecord, b: RunRecord) => (a.ttfbMs && b.ttfbMs ? delta(a.ttfbMs, b.ttfbMs) : undefined);
  const addedTtfbMs = ttfb(gateway, direct);
  const noiseTtfbMs = ttfb(control, direct);
  return {
    kind: 'scenario',
    scenario,
    mode,
    connections,
    addedMs: delta(gateway.latencyMs, direct.latencyMs),
    ...(addedTtfbMs ? { addedTtfbMs } : {}),
    noiseMs: delta(control.latencyMs, direct.latencyMs),
    ...(noiseTtfbMs ? { noiseTtfbMs } : {}),
    rpsOfDirect: round3(gateway.rps / direct.rps),
    noiseRpsPercent: round3((100 * (control.rps - direct.rps)) / direct.rps),
    gatewayCpuMsPerRequest: gateway.subjectCpuMsPerRequest,
    gatewayPeakRssMB: gateway.subjectPeakRssMB,
    errors: gateway.errors,
    ...(peer ? {
      peer: {
        addedMs: delta(peer.latencyMs, direct.latencyMs),
        ...(ttfb(peer, direct) ? { addedTtfbMs: ttfb(peer, direct)! } : {}),
        rps: peer.rps,
        cpuMsPerRequest: peer.subjectCpuMsPerRequest,
        peakRssMB: peer.subjectPeakRssMB,
        errors: peer.errors,
        gatewayRpsRatio: round3(gateway.rps / peer.rps),
        gatewayCpuRatio: ratio(gateway.subjectCpuMsPerRequest, peer.subjectCpuMsPerRequest),
        gatewayLatencyRatio: ratios(gateway.latencyMs, peer.latencyMs),
        ...(gateway.ttfbMs && peer.ttfbMs ? { gatewayTtfbRatio: ratios(gateway.ttfbMs, peer.ttfbMs) } : {}),
        gatewayRssRatio: ratio(gateway.subjectPeakRssMB, peer.subjectPeakRssMB),
      },
    } : {}),
  };
}
