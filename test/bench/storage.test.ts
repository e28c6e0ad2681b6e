import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { measureAppends } from '../../bench/eventstore.ts';
import { createStorage } from '../../bench/targets.ts';
import { availableBackends } from '../support/databases.ts';

/** The bench's storage: a fresh database (or PGlite folder) per run, gone afterwards. */
describe.each(availableBackends())('bench storage on %s', (backend) => {
  const serverUrl = backend === 'postgres' ? process.env.DATABASE_URL : undefined;

  it('creates a storage of its own and removes it completely', async () => {
    const storage = await createStorage(serverUrl);
    expect(storage.kind).toBe(backend);
    expect(existsSync(storage.dataDir)).toBe(true);
    const databaseExists = async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      try {
        const name = new URL(storage.databaseUrl!).pathname.slice(1);
        return (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
      } finally {
        await c.end();
      }
    };
    if (backend === 'postgres') {
      expect(storage.version).toMatch(/^\d+/);
      expect(await databaseExists()).toBe(true);
    }
    await storage.dispose();
    expect(existsSync(storage.dataDir)).toBe(false);
    if (backend === 'postgres') expect(await databaseExists()).toBe(false);
  });

  it('the event store bench appends with one writer and with many, without errors', async () => {
    const levels = await measureAppends(300, serverUrl);
    expect(levels.map((l) => l.writers)).toEqual([1, 64]);
    for (const l of levels) {
      expect(l.errors).toBe(0);
      expect(l.appends).toBeGreaterThan(0);
      expect(l.appendLatencyMs.count).toBe(l.appends);
    }
  });
});
