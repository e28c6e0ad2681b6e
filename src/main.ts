import { loadConfig, ConfigError } from './config.ts';
import { createLogger } from './log.ts';
import { startServer } from './server.ts';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL, { pid: process.pid });
  const running = await startServer(config, log);
  log.info('gateway listening', { url: running.url, storage: running.gateway.database.kind });

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

main().catch((err) => {
  process.stderr.write(`fatal: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
