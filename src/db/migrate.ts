import { Migrator, type Migration } from 'kysely/migration';
import { migrations } from '../../migrations/index.ts';
import type { Database } from './database.ts';

/** Applies every migration in migrations/ that this database has not seen, in name order. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations as Record<string, Migration> },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied (used by /ready). */
export async function isFullyMigrated(database: Database): Promise<boolean> {
  const migrator = new Migrator({
    db: database.db,
    provider: { getMigrations: async () => migrations as Record<string, Migration> },
  });
  const all = await migrator.getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
