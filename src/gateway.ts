import type Koa from 'koa';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Logger } from './log.ts';
import { createHttpApp } from './http/app.ts';
import { healthRoutes } from './http/routes/health.ts';

/** Everything a running gateway holds; `close` releases it in reverse order of creation. */
export interface Gateway {
  app: Koa;
  database: Database;
  close(): Promise<void>;
}

/** The composition root: the only place that knows which concrete parts make up the service. */
export async function createGateway(config: Config, log: Logger): Promise<Gateway> {
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const closers: Array<() => Promise<void>> = [() => database.close()];
  try {
    const applied = await migrateToLatest(database);
    if (applied.length) log.info('migrations applied', { migrations: applied });

    const app = createHttpApp({
      log,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      routers: [healthRoutes(database)],
    });
    return {
      app,
      database,
      async close() {
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw err;
  }
}
