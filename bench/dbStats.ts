import pg from 'pg';

/**
 * Transaction counters of the gateway's own database (native Postgres only): transactions per
 * request say how many times a request (and the projection work it causes) goes to the database.
 * A statement outside BEGIN/COMMIT counts as a transaction of its own; only those that wrote
 * anything flush the WAL. Postgres publishes these counters with up to a second's delay; over runs of several seconds
 * after a settled gateway that error stays small.
 */
export interface DbSample {
  commits: number;
  rollbacks: number;
}

export interface DbStats {
  sample(): Promise<DbSample>;
  close(): Promise<void>;
}

export function createDbStats(databaseUrl: string): DbStats {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'gateway-bench-stats' });
  pool.on('error', () => {});
  return {
    async sample() {
      const { rows } = await pool.query<{ commits: string; rollbacks: string }>(
        'select xact_commit::text as commits, xact_rollback::text as rollbacks from pg_stat_database where datname = $1', [name]);
      return { commits: Number(rows[0]?.commits ?? 0), rollbacks: Number(rows[0]?.rollbacks ?? 0) };
    },
    close: () => pool.end(),
  };
}
