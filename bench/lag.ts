import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { gatewayEndpoint } from './endpoints.ts';
import { measure, type RunRecord, type RunShape } from './measure.ts';
import { settle } from './procStats.ts';
import { MESSAGES, MODEL, type Project } from './setup.ts';
import { round3, summarize, type Percentiles } from './stats.ts';

/**
 * Projection lag under load: while the full non-streaming load runs against one project, a probe
 * sends a chat to another project every PROBE_INTERVAL_MS and times how long after its response
 * the completion's usage row reads `succeeded`. With native Postgres the row is read from the
 * database; with PGlite (one owner process) through the usage API, whose own response time under
 * load then counts as lag too, so that figure is an upper bound.
 *
 * Afterwards every outcome must be projected: the load project's usage totals are compared with
 * the 2xx responses the load generator counted.
 */
const PROBE_INTERVAL_MS = 50;
const DB_POLL_MS = 2;
const API_POLL_MS = 5;
const PROBE_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 20_000;

export interface LagRecord {
  kind: 'lag';
  scenario: string;
  readFrom: 'database' | 'usage API';
  probes: number;
  projected: number;
  lost: number;
  lagMs: Percentiles;
  /** Median round trip of one poll: the resolution of each lag sample. */
  pollRoundTripMs: number;
  load: { requests: number; ok: number; errors: number; rps: number };
  /** Outcomes in the usage read model of the load project once drained. */
  projectedOutcomes: number;
  projectedSucceeded: number;
  /** Requests cut off when the load generator stopped: they may end either way. */
  inFlightAtStop: number;
  /** Every 2xx response has its succeeded row, and nothing beyond the cut-off requests appeared. */
  noEventLost: boolean;
  drainMs: number;
}

interface LagOptions {
  scenario: string;
  gatewayUrl: string;
  gatewayPid: number;
  adminToken: string;
  loadProject: Project;
  probeProject: Project;
  shape: Omit<RunShape, 'scenario' | 'mode'>;
  /** The gateway's database when it is native Postgres; undefined for PGlite. */
  databaseUrl: string | undefined;
  record: (r: RunRecord) => void;
}

type StatusReader = (ids: string[]) => Promise<Set<string>>;

async function usage(gatewayUrl: string, adminToken: string, projectId: string, recent: number): Promise<any> {
  const res = await fetch(`${gatewayUrl}/projects/${projectId}/ai/usage?days=1&recent=${recent}`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`usage API answered ${res.status}`);
  return res.json();
}

function apiReader(o: LagOptions): StatusReader {
  return async (ids) => {
    const body = await usage(o.gatewayUrl, o.adminToken, o.probeProject.id, 100);
    const wanted = new Set(ids);
    return new Set((body.recent_logs as Array<{ id: string; status: string }>)
      .filter((l) => wanted.has(l.id) && l.status !== 'requested').map((l) => l.id));
  };
}

function databaseReader(pool: pg.Pool): StatusReader {
  return async (ids) => {
    const { rows } = await pool.query<{ completion_id: string }>(
      `select completion_id from rm_usage_log where completion_id = any($1::uuid[]) and status <> 'requested'`, [ids]);
    return new Set(rows.map((r) => r.completion_id));
  };
}

async function probe(o: LagOptions): Promise<{ id: string; answeredAt: number } | undefined> {
  try {
    const res = await fetch(`${o.gatewayUrl}/api/ai/chat`, {
      method: 'POST',
      headers: { 'x-api-key': o.probeProject.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const body = await res.json() as { id?: string };
    const answeredAt = performance.now();
    return res.ok && body.id ? { id: body.id, answeredAt } : undefined;
  } catch {
    return undefined;
  }
}

export async function runLagScenario(o: LagOptions): Promise<LagRecord> {
  const pool = o.databaseUrl ? new pg.Pool({ connectionString: o.databaseUrl, max: 1 }) : undefined;
  const read = pool ? databaseReader(pool) : apiReader(o);
  const pollMs = pool ? DB_POLL_MS : API_POLL_MS;
  const pending = new Map<string, number>();
  const lags: number[] = [];
  const roundTrips: number[] = [];
  let probes = 0;
  let failedProbes = 0;
  let probing = true;

  try {
    await settle(o.gatewayPid);
    const loadDone = measure(gatewayEndpoint(o.gatewayUrl, o.loadProject.apiKey, false, o.gatewayPid, 'gateway (lag load)'), {
      ...o.shape, scenario: o.scenario, mode: 'full',
    });

    const prober = (async () => {
      // Probes start once the load is up and stop before it winds down, so each one sees full load.
      await sleep(Math.min(500, o.shape.durationMs / 4));
      const stopAt = performance.now() + o.shape.durationMs - Math.min(1_000, o.shape.durationMs / 2);
      const inFlight: Promise<void>[] = [];
      while (performance.now() < stopAt) {
        probes++;
        inFlight.push(probe(o).then((p) => {
          if (p) pending.set(p.id, p.answeredAt);
          else failedProbes++;
        }));
        await sleep(PROBE_INTERVAL_MS);
      }
      await Promise.all(inFlight);
      probing = false;
    })();

    const poller = (async () => {
      let lastProgress = performance.now();
      while (probing || (pending.size > 0 && performance.now() - lastProgress < PROBE_TIMEOUT_MS)) {
        if (pending.size > 0) {
          const started = performance.now();
          const seen = await read([...pending.keys()]).catch(() => new Set<string>());
          const now = performance.now();
          roundTrips.push(now - started);
          for (const id of seen) {
            lags.push(now - pending.get(id)!);
            pending.delete(id);
            lastProgress = now;
          }
        }
        await sleep(pollMs);
      }
    })();

    const [load] = await Promise.all([loadDone, prober, poller]);
    o.record(load);
    const drain = await drainAndCount(o, load);
    const ok = load.requests - load.non2xx;
    const inFlightAtStop = o.shape.connections;
    return {
      kind: 'lag',
      scenario: o.scenario,
      readFrom: pool ? 'database' : 'usage API',
      probes,
      projected: lags.length,
      lost: probes - lags.length,
      lagMs: roundedSummary(lags),
      pollRoundTripMs: round3(summarize(roundTrips).p50),
      load: { requests: load.requests, ok, errors: load.errors, rps: load.rps },
      projectedOutcomes: drain.outcomes,
      projectedSucceeded: drain.succeeded,
      inFlightAtStop,
      noEventLost: lags.length === probes && failedProbes === 0
        && drain.succeeded >= ok && drain.outcomes <= ok + inFlightAtStop,
      drainMs: Math.round(drain.ms),
    };
  } finally {
    await pool?.end();
  }
}

function roundedSummary(values: number[]): Percentiles {
  const s = summarize(values);
  return { p50: round3(s.p50), p90: round3(s.p90), p99: round3(s.p99), max: round3(s.max), mean: round3(s.mean), count: s.count };
}

/** Waits until the load project's projected outcomes stop growing (or cover every 2xx). */
async function drainAndCount(o: LagOptions, load: RunRecord): Promise<{ outcomes: number; succeeded: number; ms: number }> {
  const started = performance.now();
  const ok = load.requests - load.non2xx;
  let last = -1;
  let stableSince = performance.now();
  while (performance.now() - started < DRAIN_TIMEOUT_MS) {
    const body = await usage(o.gatewayUrl, o.adminToken, o.loadProject.id, 0);
    const outcomes = Number(body.total_requests);
    const succeeded = outcomes - Number(body.failed_requests);
    if (outcomes !== last) {
      last = outcomes;
      stableSince = performance.now();
    }
    const settled = succeeded >= ok && performance.now() - stableSince >= 500;
    if (settled) return { outcomes, succeeded, ms: stableSince - started };
    await sleep(50);
  }
  const body = await usage(o.gatewayUrl, o.adminToken, o.loadProject.id, 0);
  return { outcomes: Number(body.total_requests), succeeded: Number(body.total_requests) - Number(body.failed_requests), ms: performance.now() - started };
}
