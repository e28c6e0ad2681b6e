import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { freshDatabase, preferredBackend, type Backend } from './databases.ts';

export interface TestGateway extends RunningServer {
  backend: Backend;
  dataDir: string;
  /** Every log line the gateway wrote, for assertions (e.g. that no secret was logged). */
  logs: string[];
  /** Stops the server and removes its database and data folder. */
  dispose(): Promise<void>;
}

export interface TestGatewayOptions {
  backend?: Backend;
  env?: Record<string, string>;
  /** Reuse an existing data folder / database (restart tests). */
  dataDir?: string;
  databaseUrl?: string;
  keepStorage?: boolean;
}

/** A real gateway on 127.0.0.1 with a port of its own and storage nobody else uses. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const backend = options.backend ?? preferredBackend();
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gw-test-'));
  const fresh = options.databaseUrl || backend === 'pglite' ? undefined : await freshDatabase(backend);
  const databaseUrl = options.databaseUrl ?? fresh?.url;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const log = createLogger('debug', {}, (line) => logs.push(line));
  const running = await startServer(config, log);
  return {
    ...running,
    backend,
    dataDir,
    logs,
    async dispose() {
      await running.stop();
      if (!options.keepStorage) {
        await fresh?.drop();
        if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}
