import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.ts';
import { configureSimulator, startGateway, type Running, type Storage } from './targets.ts';
import { gatewayEndpoint } from './endpoints.ts';
import { measure } from './measure.ts';
import { settle } from './procStats.ts';
import { runLoad } from './load/run.ts';
import { provisionProject } from './setup.ts';

/**
 * Where the gateway's CPU goes: the gateway runs under `node --cpu-prof` through the c=64 (or --connections)
 * non-streaming load, and its V8 profile is summarized by package (self time) and by source file of
 * this project (time with that file anywhere on the stack).
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Phases of a chat request, told apart by what is on a sample's stack (first match wins): the
 * projection runner, event appends, the upstream call, auth and preparation, the HTTP server. A
 * database driver callback with none of these above it is the driver reading a reply.
 */
export const PHASES: Array<{ name: string; matches(pkg: string): boolean }> = [
  { name: 'projection runner (read models)', matches: (p) => p.startsWith('src/projections/') || p.startsWith('projections/') || p === 'src/eventstore/postgres/subscribe.ts' || p === 'src/eventstore/postgres/readAll.ts' },
  { name: 'event appends', matches: (p) => p.startsWith('src/eventstore/') || p === 'src/application/completions/record.ts' || p === 'src/domain/events.ts' },
  { name: 'upstream call (provider SDK, HTTP client)', matches: (p) => p.startsWith('src/providers/') || p === 'openai' || p === 'node:deps' || p === 'node:webstreams' },
  { name: 'auth and preparation (cache, keys, catalog)', matches: (p) => p === 'src/http/auth.ts' || p === 'src/application/completions/prepare.ts' || p === 'src/application/hotCache.ts' || p.startsWith('src/crypto/') || p.startsWith('src/catalog/') || p === 'src/auth/secrets.ts' },
  { name: 'HTTP server, routing, body, response', matches: (p) => p.startsWith('src/http/') || p === 'koa' || p === '@koa/router' || p === 'koa-body' || p === 'co-body' || p === 'raw-body' || p === 'node:_http_server' || p === 'node:_http_outgoing' || p === 'node:_http_incoming' },
  { name: 'database driver (reading replies)', matches: (p) => p === 'pg' || p === 'pg-protocol' || p === 'pg-pool' || p === 'kysely' },
  { name: 'garbage collector', matches: (p) => p === '(garbage collector)' },
];

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  byPackage: Array<{ name: string; ms: number }>;
  byProjectFile: Array<{ name: string; ms: number }>;
  byPhase: Array<{ name: string; ms: number }>;
  topFunctions: Array<{ name: string; where: string; ms: number }>;
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** Which package a frame belongs to: a node_modules package, a node core module, or a project file. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return SPECIAL.has(functionName) ? functionName : '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (path.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([^/]+)/.exec(path);
    return `node:${m?.[1] ?? path}`;
  }
  if (path.startsWith(ROOT)) return relative(ROOT, path);
  return path;
}

/** A span of the monotonic clock in microseconds: V8 stamps samples with it, as process.hrtime does. */
export interface Window {
  fromUs: number;
  toUs: number;
}

export function summarizeProfile(profile: CpuProfile, window?: Window, top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }

  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; us: number }>();
  const byFile = new Map<string, number>();
  const byPhase = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    totalUs += us;
    if (functionName === '(idle)') { idleUs += us; continue; }
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const where = url ? `${pkg}:${lineNumber + 1}` : pkg;
    const key = `${functionName}@${where}`;
    const f = byFunction.get(key) ?? { name: functionName || '(anonymous)', where, us: 0 };
    f.us += us;
    byFunction.set(key, f);
    // Inclusive by project file: every project file on this sample's stack, counted once.
    const seen = new Set<string>();
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const p = packageOf(frame.url, frame.functionName);
      stack.push(p);
      if ((p.startsWith('src/') || p.startsWith('projections/')) && !seen.has(p)) {
        seen.add(p);
        byFile.set(p, (byFile.get(p) ?? 0) + us);
      }
    }
    const phase = PHASES.find((ph) => stack.some((p) => ph.matches(p)))?.name ?? 'other';
    byPhase.set(phase, (byPhase.get(phase) ?? 0) + us);
  }
  const ms = (us: number) => Math.round(us / 100) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: ms(us) }));
  return {
    totalMs: ms(totalUs),
    idleMs: ms(idleUs),
    busyMs: ms(totalUs - idleUs),
    byPackage: sorted(byPackage).slice(0, top),
    byProjectFile: sorted(byFile).slice(0, top),
    byPhase: sorted(byPhase),
    topFunctions: [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, top).map((f) => ({ name: f.name, where: f.where, ms: ms(f.us) })),
  };
}

export function renderProfile(s: ProfileSummary, context: string): string {
  const pct = (v: number) => `${Math.round((1000 * v) / s.busyMs) / 10}%`;
  const lines = [
    '# Where the gateway\'s CPU goes', '', context, '',
    `Profiled ${s.totalMs} ms, of which ${s.busyMs} ms busy (${s.idleMs} ms idle). Percentages are of busy time.`, '',
    '## By phase of the request', '',
    'Each sample goes to the first phase found on its stack, in this order: projection runner, event appends, upstream call, ' +
    'auth and preparation, HTTP server, database driver, garbage collector.', '',
    '| phase | ms | share |', '| --- | --- | --- |',
    ...s.byPhase.map((p) => `| ${p.name} | ${p.ms} | ${pct(p.ms)} |`), '',
    '## Self time by package', '', '| package or file | ms | share |', '| --- | --- | --- |',
    ...s.byPackage.map((p) => `| ${p.name} | ${p.ms} | ${pct(p.ms)} |`), '',
    '## Time with a project file on the stack (inclusive; synchronous work only)', '', '| file | ms | share |', '| --- | --- | --- |',
    ...s.byProjectFile.map((p) => `| ${p.name} | ${p.ms} | ${pct(p.ms)} |`), '',
    '## Top functions by self time', '', '| function | where | ms | share |', '| --- | --- | --- | --- |',
    ...s.topFunctions.map((f) => `| ${f.name.replace(/\|/g, '\\|')} | ${f.where} | ${f.ms} | ${pct(f.ms)} |`), '',
  ];
  return lines.join('\n');
}

export interface ProfileRunOptions {
  args: BenchArgs;
  simulator: Running;
  storage: Storage;
  adminToken: string;
  logDir: string;
  resultsDir: string;
  log(line: string): void;
}

export async function runProfile(o: ProfileRunOptions): Promise<void> {
  const dir = mkdtempSync(join(o.logDir, 'cpuprofile-'));
  await configureSimulator(o.simulator.url, { latencyMs: 0, chunks: 16, chunkDelayMs: 0 });
  const gateway = await startGateway({ storage: o.storage, adminToken: o.adminToken, logFile: join(o.logDir, 'gateway-profiled.log'), cpuProfileDir: dir, nodeFlags: o.args.gatewayNodeFlags });
  let load;
  let window: Window | undefined;
  try {
    const project = await provisionProject(gateway.url, o.adminToken, o.simulator.url, 'profile');
    const endpoint = gatewayEndpoint(gateway.url, project.apiKey, false, gateway.child.pid);
    await runLoad({ url: endpoint.url, method: 'POST', headers: endpoint.headers, body: endpoint.body, connections: 16, durationMs: 1_000, mode: 'full' }, o.args.loadgen);
    await settle(gateway.child.pid);
    const fromUs = Number(process.hrtime.bigint() / 1000n);
    load = await measure(endpoint, { scenario: `chat c=${o.args.profileConnections} (profiled)`, connections: o.args.profileConnections, durationMs: o.args.durationMs, mode: 'full', tool: o.args.loadgen, upstreamPid: o.simulator.child.pid });
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1000n) };
  } finally {
    await gateway.stop();
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`the gateway wrote no CPU profile into ${dir}`);
  const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as CpuProfile, window);
  if (summary.totalMs < (window!.toUs - window!.fromUs) / 2000) {
    throw new Error('the profile holds too few samples inside the load window: its clock does not match process.hrtime here');
  }
  const context = `\`npm run bench -- --profile\`: the gateway under \`node --cpu-prof\` (${o.storage.kind === 'postgres' ? 'native PostgreSQL' : 'PGlite'}), ` +
    `${o.args.durationMs / 1000} s of c=${o.args.profileConnections} POST /api/ai/chat: ${load.rps} req/s, p50 ${load.latencyMs.p50} ms, ${load.errors} errors, ` +
    `${load.subjectCpuMsPerRequest} ms CPU per request (the profiler's own cost included). Only samples taken while the load ran are counted.`;
  const markdown = renderProfile(summary, context);
  writeFileSync(join(o.resultsDir, 'profile.md'), markdown);
  process.stdout.write(markdown);
  // The raw profile, for Chrome DevTools or speedscope; *.tmp files stay out of git.
  copyFileSync(join(dir, files[0]!), join(o.resultsDir, 'gateway.cpuprofile.tmp'));
  o.log('bench: wrote bench/results/profile.md (raw profile: bench/results/gateway.cpuprofile.tmp)');
  rmSync(dir, { recursive: true, force: true });
}
