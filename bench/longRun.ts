import { measure, type Endpoint, type RunRecord, type RunShape } from './measure.ts';

/**
 * The c=64 chat load through the gateway in consecutive windows, the log growing all along. The
 * other scenarios are too short to show what only builds up: a plan or a scan that slows as
 * tables grow, memory that is not given back. Each window is an ordinary run record (target
 * `gateway window N`); the report sets the last window against the first.
 */
export const LONG_RUN_SCENARIO = 'long run c=64';
export const LONG_RUN_WINDOWS = 6;

export async function runLongRun(endpoint: Endpoint, shape: Omit<RunShape, 'scenario' | 'connections' | 'mode'>, record: (r: RunRecord) => void) {
  for (let window = 1; window <= LONG_RUN_WINDOWS; window++) {
    record(await measure({ ...endpoint, target: `gateway window ${window}` }, { ...shape, scenario: LONG_RUN_SCENARIO, connections: 64, mode: 'full' }));
  }
}

export interface LongRunTrend {
  /** Last window over first: below 1 means the gateway got slower as the run went on. */
  rpsRatio: number | undefined;
  cpuRatio: number | undefined;
  peakRssMB: { first: number | undefined; last: number | undefined };
}

/** The long run's windows in order, last set against first; undefined for fewer than two. */
export function longRunTrend(windows: RunRecord[]): LongRunTrend | undefined {
  if (windows.length < 2) return undefined;
  const first = windows[0]!;
  const last = windows.at(-1)!;
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Math.round((a / b) * 1000) / 1000 : undefined);
  return {
    rpsRatio: ratio(last.rps, first.rps),
    cpuRatio: ratio(last.subjectCpuMsPerRequest, first.subjectCpuMsPerRequest),
    peakRssMB: { first: first.subjectPeakRssMB, last: last.subjectPeakRssMB },
  };
}
