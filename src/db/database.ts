import { Kysely } from 'kysely';

/**
 * The one handle every read model, the Postgres event store and the migrations use. Both backends
 * speak the same SQL; only how a connection is made and how notifications arrive differ.
 *
 * Modules type their own tables with `database.db.withTables<MyTables>()`, so no file has to list
 * every table of the service.
 */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Kysely<object>;
  /** Calls `onNotify` for every NOTIFY on `channel` until the returned function is called. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Native Postgres through `pg` when set; embedded PGlite otherwise. */
  databaseUrl?: string | undefined;
  /** PGlite's data folder; `memory://` keeps it in memory (tests). */
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  }
  const { openPGlite } = await import('./pglite.ts');
  return openPGlite(options.dataDir);
}
