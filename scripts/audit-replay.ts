/**
 * Rebuilds a project's state from its events alone and prints who created it, issued and revoked
 * credentials, and set, rotated, tested and removed which provider key, when. Never prints a key.
 *   npm run audit:replay -- --project <id> [--json]
 * With embedded PGlite, stop the gateway first: the data folder has a single owner.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createEventStore } from '../src/eventstore/index.ts';
import { replayProjectFromStore } from '../src/application/auditReplay.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { project: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (!values.project || !/^[0-9a-f-]{36}$/i.test(values.project)) {
    process.stderr.write('usage: npm run audit:replay -- --project <project id> [--json]\n');
    return 64;
  }
  let config;
  try { config = loadConfig(); } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(err.message + '\n'); return 78; }
    throw err;
  }
  const log = createLogger('warn', { tool: 'audit:replay' }, (line) => process.stderr.write(line + '\n'));
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    await migrateToLatest(database);
    const store = await createEventStore({ kind: config.EVENT_STORE, database, eventStoreUrl: config.EVENTSTORE_URL, log });
    try {
      const replay = await replayProjectFromStore(store, values.project);
      if (!replay.project.exists) {
        process.stderr.write(`no events for project ${values.project}\n`);
        return 1;
      }
      if (values.json) {
        process.stdout.write(JSON.stringify(replay, (_k, v) => (v instanceof Map ? Object.fromEntries(v) : v instanceof Set ? [...v] : v), 2) + '\n');
      } else {
        process.stdout.write(`project ${values.project} "${replay.project.name}"\n`);
        for (const h of replay.history) process.stdout.write(`${h.at}  ${h.actor.padEnd(44)}  ${h.summary}\n`);
        process.stdout.write('\nprovider keys now:\n');
        for (const [name, p] of Object.entries(replay.providers)) {
          process.stdout.write(`  ${name.padEnd(10)} ${p.configured ? `configured ...${p.last4} (fingerprint ${p.fingerprint})` : 'not configured'}\n`);
        }
      }
      return 0;
    } finally {
      await store.close();
    }
  } finally {
    await database.close();
  }
}

main().then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`audit:replay failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
