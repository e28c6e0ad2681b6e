import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Storage backends a storage-dependent suite runs against: embedded PGlite always, and the native
 * Postgres named by DATABASE_URL when it is set. Each test gets a database of its own.
 */
export type Backend = 'pglite' | 'postgres';

export function availableBackends(): Backend[] {
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** The backend e2e suites use: native Postgres when given, since that is what production runs. */
export function preferredBackend(): Backend {
  return process.env.DATABASE_URL ? 'postgres' : 'pglite';
}

export interface FreshDatabase {
  /** undefined for PGlite (the gateway then uses DATA_DIR). */
  url: string | undefined;
  drop(): Promise<void>;
}

/** A new, empty database on the native server (its name is random, so parallel runs never meet). */
export async function freshPostgresDatabase(): Promise<FreshDatabase> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('DATABASE_URL is not set');
  const name = `gw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function freshDatabase(backend: Backend): Promise<FreshDatabase> {
  if (backend === 'postgres') return freshPostgresDatabase();
  return { url: undefined, drop: async () => {} };
}
