import type Koa from 'koa';
import type { Config } from './config.ts';
import { openDatabase, type Database } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Logger } from './log.ts';
import { createEventStore } from './eventstore/index.ts';
import type { EventStore } from './eventstore/port.ts';
import { createProjectionRunner, type ProjectionRunner } from './projections/runner.ts';
import { allProjections } from '../projections/index.ts';
import { upcast } from './domain/events.ts';
import { loadAdminToken } from './auth/adminToken.ts';
import type { AppContext } from './application/context.ts';
import { createHttpApp } from './http/app.ts';
import { healthRoutes } from './http/routes/health.ts';
import { projectRoutes } from './http/routes/projects.ts';
import { auditRoutes } from './http/routes/audit.ts';
import { providerRoutes } from './http/routes/providers.ts';
import { chatRoutes } from './http/routes/chat.ts';
import { usageRoutes } from './http/routes/usage.ts';
import { modelRoutes } from './http/routes/models.ts';
import { loadKeyring } from './crypto/keyring.ts';
import { createDataKeys } from './crypto/dataKeys.ts';
import { createHotCache } from './application/hotCache.ts';

/** Everything a running gateway holds; `close` releases it in reverse order of creation. */
export interface Gateway {
  app: Koa;
  context: AppContext;
  database: Database;
  eventStore: EventStore;
  projections: ProjectionRunner;
  /** Marks the start of a graceful shutdown (requests still finishing are told why they end). */
  beginShutdown(): void;
  close(): Promise<void>;
}

/** The composition root: the only place that knows which concrete parts make up the service. */
export async function createGateway(config: Config, log: Logger): Promise<Gateway> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err) => log.error('close failed', { err }));
    closers.length = 0;
  };
  try {
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
    closers.push(() => database.close());
    const applied = await migrateToLatest(database);
    if (applied.length) log.info('migrations applied', { migrations: applied });

    const eventStore = await createEventStore({ kind: config.EVENT_STORE, database, eventStoreUrl: config.EVENTSTORE_URL, log });
    closers.push(() => eventStore.close());

    const runner = createProjectionRunner({ database, eventStore, projections: allProjections, upcast, log });
    await runner.start();
    closers.push(() => runner.stop());

    const keyring = await loadKeyring({ masterKeys: config.MASTER_KEYS, dataDir: config.DATA_DIR, log });
    const dataKeys = createDataKeys(database, keyring);
    // Another process destroying a data key (a key removed there) must stop this one using it at once.
    const stopWatching = await dataKeys.watchDestroys();
    closers.push(stopWatching);
    const shutdown = new AbortController();
    const cache = createHotCache();
    const invalidations = await cache.follow(eventStore, log);
    closers.push(() => invalidations.close());

    const context: AppContext = {
      config,
      log,
      database,
      eventStore,
      adminToken: loadAdminToken(config.ADMIN_TOKEN, config.DATA_DIR, log),
      dataKeys,
      cache,
      shuttingDown: shutdown.signal,
      awaitProjections: (checkpoint, names) => runner.waitFor(checkpoint, names, config.READ_YOUR_WRITES_TIMEOUT_MS),
    };

    const app = createHttpApp({
      log,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      routers: [
        healthRoutes(database), projectRoutes(context), auditRoutes(context), providerRoutes(context),
        chatRoutes(context), usageRoutes(context), modelRoutes(context),
      ],
    });
    return { app, context, database, eventStore, projections: runner, beginShutdown: () => shutdown.abort(), close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
