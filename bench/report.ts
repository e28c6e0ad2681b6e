import type { ScenarioRecord } from './compare.ts';
import type { EventStoreRecord } from './eventstoreScenario.ts';
import type { LagRecord } from './lag.ts';
import { LONG_RUN_SCENARIO, longRunTrend } from './longRun.ts';
import type { describeMachine } from './machine.ts';
import type { RunRecord } from './measure.ts';
import type { TargetRecord } from './targetsCheck.ts';

/** Every line of latest.jsonl is one of these; latest.md is rendered from the same records. */
export type MetaRecord = { kind: 'meta'; startedAt: string; storage: 'pglite' | 'postgres'; postgresVersion: string | undefined;
  loadgen: string; durationS: number; quick: boolean; peer: string | undefined; costComputed: boolean;
  nodeFlags?: string[];
  simulator: Record<string, unknown> } & ReturnType<typeof describeMachine>;

/** A scenario group that could not run to the end; the others still did. */
export type FailureRecord = { kind: 'failure'; group: string; message: string };

export type BenchRecord = MetaRecord | RunRecord | ScenarioRecord | LagRecord | EventStoreRecord | TargetRecord | FailureRecord;

const cell = (c: string | number | null | undefined) => (c === undefined || c === null || (typeof c === 'number' && Number.isNaN(c)) ? '—' : String(c));
const row = (cells: Array<string | number | null | undefined>) => `| ${cells.map(cell).join(' | ')} |`;
const header = (cells: string[]) => `${row(cells)}\n${row(cells.map(() => '---'))}`;
const signed = (n: number | null | undefined) => (n === undefined || n === null || Number.isNaN(n) ? undefined : n > 0 ? `+${n}` : String(n));
const verdict = (pass: boolean | null) => (pass === null ? 'not run' : pass ? '**PASS**' : '**FAIL**');

function runRows(runs: RunRecord[], stream: boolean): string[] {
  return runs.map((r) => row([
    r.scenario, r.target, r.tool, r.rps,
    ...(stream ? [r.ttfbMs?.p50, r.ttfbMs?.p90, r.ttfbMs?.p99] : []),
    r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99,
    r.errors, r.subjectCpuMsPerRequest, r.subjectPeakRssMB, r.dbCommitsPerRequest, r.upstreamCpuMsPerRequest, r.machineBusyPercent,
  ]));
}

/** Every gateway figure over the peer's: below 1 means the gateway is lower (faster, leaner) for that figure. */
function peerRatios(scenarios: ScenarioRecord[], stream: boolean): string[] {
  const withPeer = scenarios.filter((s) => s.peer);
  if (withPeer.length === 0) return [];
  const x = (n: number | null | undefined) => (n === undefined || n === null || Number.isNaN(n) ? undefined : `${n}×`);
  const lines = [
    `Gateway ÷ peer (${stream ? 'streams' : 'requests'}/s above 1 favours the gateway; latency, CPU and RSS below 1 do):`, '',
    header(['scenario', stream ? 'streams/s' : 'req/s', ...(stream ? ['TTFB p50', 'TTFB p99'] : []), 'p50', 'p90', 'p99', 'CPU/req', 'peak RSS', 'peer errors']),
  ];
  for (const s of withPeer) {
    const p = s.peer!;
    lines.push(row([s.scenario, x(p.gatewayRpsRatio), ...(stream ? [x(p.gatewayTtfbRatio?.p50), x(p.gatewayTtfbRatio?.p99)] : []),
      x(p.gatewayLatencyRatio.p50), x(p.gatewayLatencyRatio.p90), x(p.gatewayLatencyRatio.p99), x(p.gatewayCpuRatio), x(p.gatewayRssRatio), p.errors]));
  }
  return [...lines, ''];
}

export function renderMarkdown(records: BenchRecord[], jsonlName = 'latest.jsonl'): string {
  const meta = records.find((r): r is MetaRecord => r.kind === 'meta');
  const runs = records.filter((r): r is RunRecord => r.kind === 'run');
  const scenarios = records.filter((r): r is ScenarioRecord => r.kind === 'scenario');
  const targets = records.filter((r): r is TargetRecord => r.kind === 'target');
  const lag = records.find((r): r is LagRecord => r.kind === 'lag');
  const es = records.find((r): r is EventStoreRecord => r.kind === 'eventstore');
  const out: string[] = [];

  out.push(`# Gateway benchmark${meta ? ` — ${meta.startedAt}` : ''}`, '');
  if (meta) {
    const storage = meta.storage === 'postgres' ? `native PostgreSQL ${meta.postgresVersion}` : 'embedded PGlite';
    out.push(
      `Gateway: \`node ${meta.nodeFlags?.length ? `${meta.nodeFlags.join(' ')} ` : ''}src/main.ts\` at ${meta.commit}, ${storage}, auth + events + projections + cost on` +
      `${meta.costComputed ? '' : ' (**cost was not computed** for the bench model)'}. ` +
      `Load: ${meta.loadgen === 'wrk' && meta.wrk !== 'not installed' ? meta.wrk : 'node load generator'} for whole responses, ` +
      `the node load generator (node:http, keep-alive, performance.now()) for streams; ` +
      `${meta.durationS} s per run${meta.quick ? ' (--quick)' : ''}; all traffic on 127.0.0.1.`,
      '',
      header(['cores', 'CPU', 'memory', 'kernel', 'Node', 'PostgreSQL', 'peer']),
      row([meta.cores, meta.cpuModel, `${meta.memoryGiB} GiB`, meta.kernel, meta.node, meta.postgresVersion ?? '(PGlite)',
        meta.peer ? `@portkey-ai/gateway ${meta.portkeyGateway}` : 'none']),
      '',
    );
  }

  const failures = records.filter((r): r is FailureRecord => r.kind === 'failure');
  if (failures.length) {
    out.push('## Scenarios that failed', '');
    for (const f of failures) out.push(`- **${f.group}**: ${f.message.split('\n')[0]}`);
    out.push('');
  }

  if (targets.length) {
    out.push('## Targets', '', header(['target', 'limit', 'measured', 'noise floor', 'result', 'margin']));
    for (const t of targets) out.push(row([t.target, t.limit, t.measured, t.noise, verdict(t.pass), t.margin || undefined]));
    out.push('');
  }

  const cols = ['scenario', 'target', 'tool', 'req/s'];
  const tail = ['p50 ms', 'p90 ms', 'p99 ms', 'errors', 'CPU ms/req', 'peak RSS MB', 'DB transactions/req', 'upstream CPU ms/req', 'machine busy %'];
  const plain = runs.filter((r) => !r.ttfbMs && !r.target.includes('lag') && r.scenario !== LONG_RUN_SCENARIO);
  const plainScenarios = scenarios.filter((s) => s.mode === 'full');
  if (plain.length) {
    out.push('## Non-streaming chat', '',
      '`direct`: POST /v1/chat/completions on the simulator; `gateway`: POST /api/ai/chat with x-api-key; ' +
      '`peer`: the same OpenAI request through the peer; `control`: the direct run repeated (noise floor). ' +
      'CPU and peak RSS are the gateway\'s (or the peer\'s) whole process tree; DB transactions are those committed ' +
      'in the gateway\'s database per request, a lone statement counting as one (native PostgreSQL only).', '',
      header([...cols, ...tail]), ...runRows(plain, false), '');
    out.push(header(['scenario', 'added p50 ms', 'added p90 ms', 'added p99 ms', 'noise p50 ms', 'noise p90 ms', 'noise p99 ms',
      'req/s vs direct', 'control req/s Δ%']));
    for (const s of plainScenarios) {
      out.push(row([s.scenario, signed(s.addedMs.p50), signed(s.addedMs.p90), signed(s.addedMs.p99),
        signed(s.noiseMs.p50), signed(s.noiseMs.p90), signed(s.noiseMs.p99),
        `${s.rpsOfDirect}×`, signed(s.noiseRpsPercent)]));
    }
    out.push('');
    out.push(...peerRatios(plainScenarios, false));
  }

  const streamed = runs.filter((r) => r.ttfbMs);
  const streamScenarios = scenarios.filter((s) => s.mode === 'stream');
  if (streamed.length) {
    out.push('## Streaming chat', '',
      '`direct`: SSE from the simulator with `stream_options.include_usage`; `gateway`: POST /api/ai/chat/stream. ' +
      'TTFB is the first body byte (the first token: the simulator sends its role chunk with the first token); ' +
      'total is the end of the stream.', '',
      header([...cols, 'TTFB p50 ms', 'TTFB p90 ms', 'TTFB p99 ms', ...tail.map((t) => t.replace(/^(p\d\d ms)$/, 'total $1'))]),
      ...runRows(streamed, true), '');
    out.push(header(['scenario', 'added TTFB p50', 'added TTFB p90', 'added TTFB p99', 'added total p50', 'added total p90', 'added total p99',
      'noise TTFB p50', 'noise total p50', 'streams/s vs direct']));
    for (const s of streamScenarios) {
      out.push(row([s.scenario, signed(s.addedTtfbMs?.p50), signed(s.addedTtfbMs?.p90), signed(s.addedTtfbMs?.p99),
        signed(s.addedMs.p50), signed(s.addedMs.p90), signed(s.addedMs.p99),
        signed(s.noiseTtfbMs?.p50), signed(s.noiseMs.p50), `${s.rpsOfDirect}×`]));
    }
    out.push('');
    out.push(...peerRatios(streamScenarios, true));
  }

  if (lag) {
    const load = runs.find((r) => r.target.includes('lag'));
    out.push('## Projection lag under the c=64 non-streaming load', '',
      `A probe chat every 50 ms to a second project; lag = its usage row reading \`succeeded\` minus its response arriving, ` +
      `read from the ${lag.readFrom}${lag.readFrom === 'usage API' ? ' (each poll waits its turn behind the load, so this is an upper bound)' : ''}.`, '',
      header(['probes', 'projected', 'lag p50 ms', 'lag p90 ms', 'lag p99 ms', 'lag max ms', 'poll round trip ms', 'load req/s', 'load 2xx', 'succeeded rows', 'outcome rows', 'cut off at stop', 'drain ms', 'no event lost']),
      row([lag.probes, lag.projected, lag.lagMs.p50, lag.lagMs.p90, lag.lagMs.p99, lag.lagMs.max, lag.pollRoundTripMs,
        lag.load.rps, lag.load.ok, lag.projectedSucceeded, lag.projectedOutcomes, `≤ ${lag.inFlightAtStop}`, lag.drainMs, lag.noEventLost ? 'yes' : '**no**']),
      '');
    if (load) out.push(`Load during the lag run: ${load.rps} req/s, p50 ${load.latencyMs.p50} ms, p99 ${load.latencyMs.p99} ms, ${load.errors} errors, gateway CPU ${load.subjectCpuMsPerRequest} ms/req.`, '');
  }

  const longRun = runs.filter((r) => r.scenario === LONG_RUN_SCENARIO);
  const trend = longRunTrend(longRun);
  if (longRun.length) {
    out.push('## Long run', '',
      `The c=64 chat load through the gateway in ${longRun.length} consecutive windows of ${longRun[0]!.durationS} s, ` +
      'run after the other scenarios, the log and the read models growing all along: a gateway that slows down or keeps ' +
      'memory as they grow shows it here.', '',
      header([...cols, ...tail]), ...runRows(longRun, false), '');
    if (trend) {
      out.push(`Last window ÷ first: ${trend.rpsRatio ?? '—'}× requests/s, ${trend.cpuRatio ?? '—'}× CPU per request; ` +
        `peak RSS ${trend.peakRssMB.first ?? '—'} MB in the first window, ${trend.peakRssMB.last ?? '—'} MB in the last.`, '');
    }
  }

  if (es) {
    out.push(`## Event store appends (${es.storage === 'postgres' ? 'native PostgreSQL' : 'PGlite'}, on its own)`, '',
      'One stream per completion: a Requested append (expected: no stream) then an outcome append (expected: version 1), as the gateway writes them.', '',
      header(['writers', 'appends/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors']));
    for (const l of es.levels) out.push(row([l.writers, l.eventsPerSecond, l.appendLatencyMs.p50, l.appendLatencyMs.p90, l.appendLatencyMs.p99, l.appendLatencyMs.max, l.errors]));
    out.push('');
  }
  out.push(`Raw records: \`${jsonlName}\` beside this file (one JSON object per run, scenario, lag and event store measurement, target).`, '');
  return out.join('\n');
}
