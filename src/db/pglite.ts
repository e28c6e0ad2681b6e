import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Kysely, PGliteDialect } from 'kysely';
import type { Database } from './database.ts';

/** Embedded Postgres (WASM) with pgvector, persisted in `<dataDir>/pglite`. */
export async function openPGlite(dataDir: string): Promise<Database> {
  let location: string | undefined;
  if (dataDir !== 'memory://') {
    location = resolve(dataDir, 'pglite');
    mkdirSync(location, { recursive: true, mode: 0o700 });
  }
  const pglite = await PGlite.create(location, { extensions: { vector } });
  const db = new Kysely<object>({ dialect: new PGliteDialect({ pglite }) });
  return {
    kind: 'pglite',
    db,
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, onNotify);
      return async () => { await unlisten(); };
    },
    async close() {
      await db.destroy(); // closes the PGlite instance too
    },
  };
}
