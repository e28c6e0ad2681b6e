import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE, UsageError, type BenchArgs, type ScenarioGroup } from './args.ts';
import { runScenario, type ScenarioRecord } from './compare.ts';
import { directEndpoint, gatewayEndpoint, peerEndpoint } from './endpoints.ts';
import { createDbStats, type DbStats } from './dbStats.ts';
import { runEventStoreScenario } from './eventstoreScenario.ts';
import { runLagScenario } from './lag.ts';
import { runLongRun } from './longRun.ts';
import { runLoad } from './load/run.ts';
import type { RunRecord } from './measure.ts';
import { describeMachine } from './machine.ts';
import { runProfile } from './profile.ts';
import { evaluateTargets } from './targetsCheck.ts';
import { renderMarkdown, type BenchRecord } from './report.ts';
import { provisionProject, smokeChat, type Project } from './setup.ts';
import {
  configureSimulator, createStorage, startGateway, startPortkey, startSimulatorProcess, type Running, type Storage,
} from './targets.ts';

/**
 * `npm run bench`: starts the simulator, the gateway (and the peer), runs every scenario with the
 * same load straight at the simulator and through each gateway, then writes bench/results/.
 */
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const STREAM = { latencyMs: 0, chunks: 16, chunkDelayMs: 2 };
const PLAIN = { latencyMs: 0, chunks: 16, chunkDelayMs: 0 };

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

function describeRun(r: RunRecord) {
  const ttfb = r.ttfbMs ? ` ttfb p50 ${r.ttfbMs.p50} ms` : '';
  const cpu = r.subjectCpuMsPerRequest !== undefined ? ` cpu ${r.subjectCpuMsPerRequest} ms/req rss ${r.subjectPeakRssMB} MB` : '';
  return `  ${r.scenario.padEnd(22)} ${r.target.padEnd(20)} ${String(r.rps).padStart(6)} req/s  p50 ${r.latencyMs.p50} p90 ${r.latencyMs.p90} p99 ${r.latencyMs.p99} ms${ttfb}${cpu} errors ${r.errors}`;
}

interface Session {
  args: BenchArgs;
  logDir: string;
  records: BenchRecord[];
  record(r: BenchRecord): void;
  simulator: Running;
  storage: Storage;
  gateway: Running;
  peer: Running | undefined;
  adminToken: string;
  dbStats: DbStats | undefined;
}

async function warmUp(s: Session, project: Project) {
  const durationMs = 1_000;
  const targets = [
    directEndpoint(s.simulator.url, false),
    gatewayEndpoint(s.gateway.url, project.apiKey, false, s.gateway.child.pid),
    ...(s.peer ? [peerEndpoint(s.peer.url, s.simulator.url, false, s.peer.child.pid)] : []),
  ];
  for (const t of targets) {
    await runLoad({ url: t.url, method: 'POST', headers: t.headers, body: t.body, connections: 16, durationMs, mode: 'full' }, s.args.loadgen);
  }
}

async function chatScenarios(s: Session, project: Project, gateway: Running, label: string, concurrencies: number[]) {
  await configureSimulator(s.simulator.url, PLAIN);
  const out: ScenarioRecord[] = [];
  for (const c of concurrencies) {
    const scenario = await runScenario(
      { scenario: `chat c=${c}${label}`, connections: c, durationMs: s.args.durationMs, mode: 'full', tool: s.args.loadgen, upstreamPid: s.simulator.child.pid, dbStats: s.dbStats },
      {
        direct: directEndpoint(s.simulator.url, false),
        gateway: gatewayEndpoint(gateway.url, project.apiKey, false, gateway.child.pid),
        ...(s.peer && !label ? { peer: peerEndpoint(s.peer.url, s.simulator.url, false, s.peer.child.pid) } : {}),
      },
      (r) => s.record(r),
    );
    s.record(scenario);
    out.push(scenario);
  }
  return out;
}

async function streamScenarios(s: Session, project: Project) {
  await configureSimulator(s.simulator.url, STREAM);
  for (const c of [1, 16]) {
    const scenario = await runScenario(
      { scenario: `stream c=${c}`, connections: c, durationMs: s.args.durationMs, mode: 'stream', tool: 'node', upstreamPid: s.simulator.child.pid, dbStats: s.dbStats },
      {
        direct: directEndpoint(s.simulator.url, true),
        gateway: gatewayEndpoint(s.gateway.url, project.apiKey, true, s.gateway.child.pid),
        ...(s.peer ? { peer: peerEndpoint(s.peer.url, s.simulator.url, true, s.peer.child.pid) } : {}),
      },
      (r) => s.record(r),
    );
    s.record(scenario);
  }
  await configureSimulator(s.simulator.url, PLAIN);
}

async function clusterScenario(s: Session, project: Project) {
  await s.gateway.stop();
  const workers = 2;
  const cluster = await startGateway({ storage: s.storage, adminToken: s.adminToken, logFile: join(s.logDir, 'gateway-cluster.log'), clusterWorkers: workers, nodeFlags: s.args.gatewayNodeFlags });
  s.gateway = cluster;
  await smokeChat(cluster.url, project);
  await runLoad({ ...gatewayEndpoint(cluster.url, project.apiKey, false, cluster.child.pid), method: 'POST', connections: 16, durationMs: 1_000, mode: 'full' }, s.args.loadgen);
  await chatScenarios(s, project, cluster, ` cluster×${workers}`, [64]);
}

async function main() {
  let args: BenchArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) log(`bench: ${err.message}`);
    log(USAGE);
    process.exit(err.message ? 2 : 0);
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const logDir = mkdtempSync(join(tmpdir(), 'gw-bench-logs-'));
  const records: BenchRecord[] = [];
  const record = (r: BenchRecord) => {
    records.push(r);
    if (r.kind === 'run') log(describeRun(r));
  };
  const adminToken = `za_${randomBytes(32).toString('base64url')}`;
  const started = new Date();

  log(`bench: logs of the processes under test go to ${logDir}`);
  const simulator = await startSimulatorProcess(join(logDir, 'simulator.log'));
  const storage = await createStorage(process.env.DATABASE_URL || undefined);
  let session: Session | undefined;
  try {
    log(`bench: gateway on ${storage.kind === 'postgres' ? `native PostgreSQL ${storage.version} (fresh database)` : 'embedded PGlite (temporary DATA_DIR)'}`);
    if (args.profile) {
      await runProfile({ args, simulator, storage, adminToken, logDir, resultsDir: RESULTS_DIR, log });
      return;
    }
    const gateway = await startGateway({ storage, adminToken, logFile: join(logDir, 'gateway.log'), nodeFlags: args.gatewayNodeFlags });
    const peer = args.peer ? await startPortkey(join(logDir, 'portkey.log')) : undefined;
    const dbStats = storage.databaseUrl ? createDbStats(storage.databaseUrl) : undefined;
    session = { args, logDir, records, record, simulator, storage, gateway, peer, adminToken, dbStats };
    const s = session;

    const project = await provisionProject(gateway.url, adminToken, simulator.url, 'bench');
    const { costComputed } = await smokeChat(gateway.url, project);
    record({
      kind: 'meta', startedAt: started.toISOString(), ...describeMachine(), storage: storage.kind,
      postgresVersion: storage.version, loadgen: args.loadgen, durationS: args.durationMs / 1000, quick: args.quick,
      ...(args.gatewayNodeFlags.length ? { nodeFlags: args.gatewayNodeFlags } : {}),
      peer: args.peer, costComputed, simulator: { plain: PLAIN, stream: STREAM },
    });
    await warmUp(s, project);

    // A group that fails is recorded and the others still run; the run then exits non-zero.
    const group = async (name: ScenarioGroup, body: () => Promise<void>) => {
      if (!args.only.has(name)) return;
      try {
        await body();
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log(`bench: the ${name} scenarios failed: ${message}`);
        record({ kind: 'failure', group: name, message: message.slice(0, 2_000) });
      }
    };
    await group('chat', async () => { await chatScenarios(s, project, gateway, '', [1, 16, 64]); });
    await group('stream', () => streamScenarios(s, project));
    await group('lag', async () => {
      const loadProject = await provisionProject(gateway.url, adminToken, simulator.url, 'lag-load');
      const probeProject = await provisionProject(gateway.url, adminToken, simulator.url, 'lag-probe');
      record(await runLagScenario({
        scenario: 'projection lag c=64', gatewayUrl: gateway.url, gatewayPid: gateway.child.pid, adminToken, loadProject, probeProject,
        shape: { connections: 64, durationMs: args.durationMs, tool: args.loadgen, upstreamPid: simulator.child.pid, dbStats: s.dbStats },
        databaseUrl: storage.databaseUrl, record,
      }));
    });
    await group('eventstore', async () => {
      record(await runEventStoreScenario({ durationMs: args.durationMs, databaseServerUrl: process.env.DATABASE_URL || undefined, logDir }));
    });
    await group('longrun', async () => {
      await configureSimulator(simulator.url, PLAIN);
      await runLongRun(gatewayEndpoint(gateway.url, project.apiKey, false, gateway.child.pid),
        { durationMs: args.durationMs, tool: args.loadgen, upstreamPid: simulator.child.pid, dbStats: s.dbStats }, record);
    });
    await group('cluster', async () => {
      if (storage.kind === 'postgres') await clusterScenario(s, project);
      else log('bench: cluster run skipped (needs DATABASE_URL: embedded PGlite has a single owner process)');
    });
  } finally {
    await session?.gateway.stop().catch((err) => log(`bench: stopping the gateway: ${err}`));
    await session?.peer?.stop().catch(() => {});
    await session?.dbStats?.close().catch(() => {});
    await simulator.stop().catch(() => {});
    await storage.dispose().catch((err) => log(`bench: removing the bench database: ${err}`));
  }
  if (args.profile) return;

  const targets = evaluateTargets(records);
  const all = [...records, ...targets];
  const base = args.name;
  const suffix = args.quick ? '.tmp' : '';
  const markdown = renderMarkdown(all, `${base}.jsonl${suffix}`);
  writeFileSync(join(RESULTS_DIR, `${base}.jsonl${suffix}`), all.map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(RESULTS_DIR, `${base}.md${suffix}`), markdown);
  process.stdout.write(markdown);
  log(`bench: wrote bench/results/${base}.jsonl${suffix} and ${base}.md${suffix}`);
  if (records.some((r) => r.kind === 'failure')) process.exitCode = 1;
}

main().catch((err) => {
  log(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
