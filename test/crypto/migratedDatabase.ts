import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { freshDatabase, type Backend } from '../support/databases.ts';

export interface MigratedDatabase {
  database: Database;
  url: string | undefined;
  /** Another connection to the same database, as a second gateway process would have (Postgres only). */
  openAnother(): Promise<Database>;
  dispose(): Promise<void>;
}

/** A new, fully migrated database of its own on `backend`. */
export async function migratedDatabase(backend: Backend): Promise<MigratedDatabase> {
  const fresh = await freshDatabase(backend);
  const database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', poolSize: 3 });
  const others: Database[] = [];
  try {
    await migrateToLatest(database);
  } catch (err) {
    await database.close();
    await fresh.drop();
    throw err;
  }
  return {
    database,
    url: fresh.url,
    async openAnother() {
      if (!fresh.url) return database;
      const other = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://', poolSize: 2 });
      others.push(other);
      return other;
    },
    async dispose() {
      for (const o of others) await o.close();
      await database.close();
      await fresh.drop();
    },
  };
}
