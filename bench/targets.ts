import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { spawnChild, type Child } from './processes.ts';

/** The processes under test: the upstream simulator, the gateway, and optionally a peer gateway. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SIMULATOR_MAIN = fileURLToPath(new URL('./simulator/main.ts', import.meta.url));
const ORPHAN_GUARD = fileURLToPath(new URL('./orphanGuard.ts', import.meta.url));
const PORTKEY_SERVER = join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');

export interface Running {
  child: Child;
  url: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; bounded by `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && (child.process.exitCode !== null || child.process.signalCode !== null)) {
      throw new Error(`${child.name} exited while starting:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (${last})${child ? `:\n${child.tail()}` : ''}`);
}

export async function startSimulatorProcess(logFile: string): Promise<Running> {
  const child = spawnChild('simulator', process.execPath, [SIMULATOR_MAIN], { env: { PATH: process.env.PATH }, logFile });
  const url = await child.waitForLine((line) => {
    try {
      const parsed = JSON.parse(line) as { ready?: boolean; url?: string };
      return parsed.ready ? parsed.url : undefined;
    } catch {
      return undefined;
    }
  }, 10_000);
  return { child, url: url!, stop: () => child.stop(2_000) };
}

export interface SimulatorSettings {
  latencyMs?: number;
  chunks?: number;
  chunkDelayMs?: number;
}

export async function configureSimulator(simUrl: string, settings: SimulatorSettings): Promise<void> {
  const res = await fetch(`${simUrl}/_bench/settings`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings),
  });
  if (!res.ok) throw new Error(`simulator refused settings: ${res.status} ${await res.text()}`);
}

/** Where the gateway keeps its data for one bench run; removed (database dropped) by `dispose`. */
export interface Storage {
  kind: 'pglite' | 'postgres';
  dataDir: string;
  databaseUrl: string | undefined;
  /** The server's version, for the report. */
  version: string | undefined;
  /** MASTER_KEYS for every gateway started on this storage: its data keys are wrapped with it. */
  masterKeys: string;
  dispose(): Promise<void>;
}

export async function createStorage(serverUrl: string | undefined): Promise<Storage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  const masterKeys = `bench:${randomBytes(32).toString('base64url')}`;
  if (!serverUrl) return { kind: 'pglite', dataDir, databaseUrl: undefined, version: undefined, masterKeys, dispose: async () => removeDir() };
  const name = `gw_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  let version: string;
  try {
    version = (await admin.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    kind: 'postgres',
    dataDir,
    databaseUrl: url.toString(),
    version,
    masterKeys,
    async dispose() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
      removeDir();
    },
  };
}

export interface GatewayOptions {
  storage: Storage;
  adminToken: string;
  logFile: string;
  clusterWorkers?: number;
  /** Writes a V8 CPU profile per process into this folder when the gateway exits. */
  cpuProfileDir?: string;
  /** Extra node flags (--node-flags), to try V8 settings. */
  nodeFlags?: string[];
}

/** `node src/main.ts` with everything on, as it runs in production; ready once /ready answers. */
export async function startGateway(options: GatewayOptions): Promise<Running> {
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: options.storage.dataDir,
    DATABASE_URL: options.storage.databaseUrl,
    ADMIN_TOKEN: options.adminToken,
    MASTER_KEYS: options.storage.masterKeys,
    LOG_LEVEL: 'info',
    CLUSTER_WORKERS: options.clusterWorkers ? String(options.clusterWorkers) : undefined,
  };
  const flags = ['--import', ORPHAN_GUARD, ...(options.nodeFlags ?? [])];
  if (options.cpuProfileDir) flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
  const child = spawnChild('gateway', process.execPath, [...flags, join(ROOT, 'src/main.ts')], { env, cwd: ROOT, logFile: options.logFile });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/ready`, 60_000, child);
  if (options.clusterWorkers) await waitForWorkers(child, options.clusterWorkers);
  return { child, url, stop: () => child.stop(15_000) };
}

/** In cluster mode /ready answers as soon as one worker listens; wait for all of them. */
async function waitForWorkers(child: Child, count: number): Promise<void> {
  const seen = new Set<number>();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && seen.size < count) {
    for (const line of child.tail().split('\n')) {
      const m = /"msg":"gateway listening".*"pid":(\d+)|"pid":(\d+).*"msg":"gateway listening"/.exec(line);
      if (m) seen.add(Number(m[1] ?? m[2]));
    }
    if (seen.size < count) await sleep(100);
  }
  if (seen.size < count) throw new Error(`only ${seen.size} of ${count} workers listening:\n${child.tail()}`);
}

/** The peer gateway, Portkey's open-source node server, headless on a port of its own. */
export async function startPortkey(logFile: string): Promise<Running> {
  const port = await freePort();
  const child = spawnChild('portkey', process.execPath, [PORTKEY_SERVER, `--port=${port}`, '--headless'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production' }, cwd: ROOT, logFile,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, 30_000, child);
  return { child, url, stop: () => child.stop(5_000) };
}
