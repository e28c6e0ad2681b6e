import Router from '@koa/router';
import { sql } from 'kysely';
import type { Database } from '../../db/database.ts';
import { isFullyMigrated } from '../../db/migrate.ts';

/** Liveness (process up) and readiness (database reachable, migrations applied). */
export function healthRoutes(database: Database): Router {
  const router = new Router();
  let migrated = false;
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    try {
      await sql`select 1`.execute(database.db);
      migrated ||= await isFullyMigrated(database);
    } catch {
      ctx.status = 503;
      ctx.body = { error: { code: 'not_ready', message: 'database unreachable' } };
      return;
    }
    if (!migrated) {
      ctx.status = 503;
      ctx.body = { error: { code: 'not_ready', message: 'migrations pending' } };
      return;
    }
    ctx.body = { status: 'ready', database: database.kind };
  });
  return router;
}
