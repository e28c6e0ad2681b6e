/**
 * Rebuilds a read model from the event log and swaps it in, or checks it against a rebuild.
 *   npm run projections:rebuild -- NAME           replay into a scratch schema, then swap into public
 *   npm run projections:rebuild -- --check NAME   rebuild aside and report row differences; no swap
 * Prints one JSON object. Exit status: 0 done (or equal), 1 the check found differences or the run
 * failed, 64 usage, 78 configuration.
 *
 * A running gateway on native Postgres keeps serving during either: the swap takes the projection's
 * lock, and the live runner continues from the new checkpoint. With embedded PGlite, stop the
 * gateway first: the data folder has a single owner.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger, scrubText } from '../src/log.ts';
import { openDatabase } from '../src/db/database.ts';
import { isFullyMigrated } from '../src/db/migrate.ts';
import { createEventStore } from '../src/eventstore/index.ts';
import { compareWithRebuild, rebuildProjection, type RebuildDeps } from '../src/projections/rebuild.ts';
import { upcast } from '../src/domain/events.ts';
import { allProjections } from '../projections/index.ts';

const USAGE = `usage: npm run projections:rebuild -- NAME | --check NAME
projections: ${allProjections.map((p) => p.name).join(', ') || '(none)'}\n`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { check: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  } catch {
    process.stderr.write(USAGE);
    return 64;
  }
  const { values, positionals } = parsed;
  const name = positionals[0];
  if (values.help || positionals.length !== 1 || !name || !allProjections.some((p) => p.name === name)) {
    if (name && !values.help && positionals.length === 1) process.stderr.write(`unknown projection ${JSON.stringify(name)}\n`);
    process.stderr.write(USAGE);
    return 64;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      return 78;
    }
    throw err;
  }
  const log = createLogger('info', { tool: 'projections:rebuild' }, (line) => process.stderr.write(line + '\n'));
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    // The schema belongs to the gateway that runs with it; this tool only reads and rebuilds.
    if (!(await isFullyMigrated(database))) {
      process.stderr.write('the database is not migrated to this version; start the gateway once first\n');
      return 1;
    }
    const eventStore = await createEventStore({ kind: config.EVENT_STORE, database, eventStoreUrl: config.EVENTSTORE_URL, log });
    try {
      const deps: RebuildDeps = { database, eventStore, projections: allProjections, upcast, log, batchSize: 500 };
      if (values.check) {
        const comparison = await compareWithRebuild(deps, name);
        // Sample rows are printed as stored; masked like log lines in case one holds a credential.
        process.stdout.write(scrubText(JSON.stringify(comparison, null, 2)) + '\n');
        return comparison.equal ? 0 : 1;
      }
      const result = await rebuildProjection(deps, name);
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    } finally {
      await eventStore.close();
    }
  } finally {
    await database.close();
  }
}

main().then((code) => { process.exitCode = code; }, (err) => {
  process.stderr.write(`projections:rebuild failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
