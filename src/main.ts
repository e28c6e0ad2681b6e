import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig, ConfigError, type Config } from './config.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

async function runWorker(config: Config) {
  const log = createLogger(config.LOG_LEVEL, { pid: process.pid });
  const running = await startServer(config, log);
  log.info('gateway listening', { url: running.url, storage: running.gateway.database.kind, eventStore: running.gateway.eventStore.kind });
  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    running.stop().then(
      () => { log.info('stopped'); process.exit(0); },
      (err) => { log.error('shutdown failed', { err }); process.exit(1); },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/**
 * Cluster mode: one worker per core (or CLUSTER_WORKERS), sharing the port and nothing but the
 * database. Embedded PGlite has a single owner, so cluster mode needs DATABASE_URL.
 */
function runPrimary(config: Config) {
  const log = createLogger(config.LOG_LEVEL, { pid: process.pid, role: 'primary' });
  const count = Math.min(config.CLUSTER_WORKERS, availableParallelism() * 4);
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error('worker exited; starting another', { worker: worker.process.pid, code, signal });
    setTimeout(() => cluster.fork(), 1000);
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    log.info('stopping workers', { signal });
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const config = readConfig();
if (config.CLUSTER_WORKERS > 0 && !config.DATABASE_URL) {
  process.stderr.write('Invalid configuration:\n  CLUSTER_WORKERS: needs DATABASE_URL (embedded PGlite has a single owner process)\n');
  process.exit(78);
}
if (config.CLUSTER_WORKERS > 0 && cluster.isPrimary) {
  runPrimary(config);
} else {
  runWorker(config).catch((err) => {
    process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
