import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from './database.ts';

/** Native Postgres through a `pg` pool. */
export async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A transaction left open would hold back every projection (they read below the xmin horizon).
    idle_in_transaction_session_timeout: 30_000,
    application_name: 'ai-gateway',
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  await pool.query('select 1');
  const db = new Kysely<object>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<pg.Client>();
  return {
    kind: 'postgres',
    db,
    async listen(channel, onNotify) {
      const client = new pg.Client({ connectionString: url, application_name: 'ai-gateway-listen' });
      client.on('error', () => {});
      await client.connect();
      client.on('notification', (n) => { if (n.channel === channel) onNotify(n.payload ?? ''); });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listeners.add(client);
      return async () => {
        listeners.delete(client);
        await client.end().catch(() => {});
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await db.destroy(); // ends the pool
    },
  };
}
