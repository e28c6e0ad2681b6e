import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { createProjectionRunner } from '../../src/projections/runner.ts';
import { upcast } from '../../src/domain/events.ts';
import { allProjections } from '../../projections/index.ts';
import { freshDatabase, preferredBackend } from '../support/databases.ts';

const run = promisify(execFile);
const log = createLogger('silent');

/** Runs the CLI as a real child process; resolves with its exit code and output either way. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/projections-rebuild.ts', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('npm run projections:rebuild checks a read model against a rebuild, and rebuilds it', async () => {
  const backend = preferredBackend();
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-rebuild-'));
  const fresh = await freshDatabase(backend);
  const env = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...(fresh.url ? { DATABASE_URL: fresh.url } : {}) };
  const open = () => openDatabase({ databaseUrl: fresh.url, dataDir });
  const projectIds = [randomUUID(), randomUUID(), randomUUID()];
  let database: Database | undefined;
  try {
    // The gateway's part: events written, read models kept by the runner. Then it stops (PGlite has one owner).
    database = await open();
    await migrateToLatest(database);
    const store = createPostgresEventStore({ database, log });
    const runner = createProjectionRunner({ database, eventStore: store, projections: allProjections, upcast, log });
    await runner.start();
    let last = '';
    for (const [i, projectId] of projectIds.entries()) {
      // The first is stored as schema version 1, which has no storeContent: the upcaster fills it in.
      const data = i === 0 ? { projectId, name: `p${i}` } : { projectId, name: `p${i}`, storeContent: i === 2 };
      const r = await store.append(`project-${projectId}`, [{ id: randomUUID(), type: 'ProjectCreated', schemaVersion: i === 0 ? 1 : 2, data, metadata: { actor: 'admin' } }], { expected: 'no_stream' });
      last = r.checkpoint;
    }
    await runner.waitFor(last as never, ['projects'], 10_000);
    await runner.stop();
    await store.close();
    await database.close();
    database = undefined;

    const equal = await cli(['--check', 'projects'], env);
    expect(equal.code).toBe(0);
    expect(JSON.parse(equal.stdout)).toMatchObject({ projection: 'projects', checkpoint: last, equal: true, tables: [{ table: 'rm_projects', onlyLive: 0, onlyRebuilt: 0 }] });

    database = await open();
    await sql`update rm_projects set name = 'tampered' where id = ${projectIds[1]!}`.execute(database.db);
    await database.close();
    database = undefined;

    const drifted = await cli(['--check', 'projects'], env);
    expect(drifted.code).toBe(1);
    const report = JSON.parse(drifted.stdout);
    expect(report).toMatchObject({ equal: false, tables: [{ table: 'rm_projects', onlyLive: 1, onlyRebuilt: 1 }] });
    expect(report.tables[0].samples.onlyLive[0]).toContain('tampered');

    const rebuilt = await cli(['projects'], env);
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(rebuilt.stdout)).toMatchObject({ projection: 'projects', checkpoint: last, events: 3 });

    database = await open();
    const rows = await (database.db as Kysely<any>).selectFrom('rm_projects').select(['id', 'name', 'store_content']).orderBy('name').execute();
    expect(rows).toEqual(projectIds.map((id, i) => ({ id, name: `p${i}`, store_content: i === 2 })));

    expect((await cli(['no_such_projection'], env)).code).toBe(64);
    expect((await cli([], env)).code).toBe(64);
  } finally {
    await database?.close();
    await fresh.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 90_000);
