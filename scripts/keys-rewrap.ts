/**
 * Re-wraps every live data key under the first master key in MASTER_KEYS (or master.key), after a
 * new master key was put in front of the old one. Prints counts only, never a key. Exit status 0 when
 * everything is under the primary key, 1 when some wrapped keys failed to authenticate, 78 on bad
 * configuration. With embedded PGlite, stop the gateway first: the data folder has a single owner.
 */
import { ConfigError, loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { loadKeyring, MasterKeyConfigError } from '../src/crypto/keyring.ts';
import { createDataKeys, MasterKeyUnavailableError } from '../src/crypto/dataKeys.ts';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(err.message + '\n'); return 78; }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL, { tool: 'keys:rewrap' });
  let keyring;
  try {
    keyring = await loadKeyring({ masterKeys: config.MASTER_KEYS, dataDir: config.DATA_DIR, log });
  } catch (err) {
    if (err instanceof MasterKeyConfigError) { process.stderr.write(err.message + '\n'); return 78; }
    throw err;
  }
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    await migrateToLatest(database);
    const report = await createDataKeys(database, keyring).rewrapAll();
    log.info('rewrap finished', { wrappingKeyId: keyring.primary.id, ...report });
    return report.failed.length ? 1 : 0;
  } catch (err) {
    if (err instanceof MasterKeyUnavailableError) { process.stderr.write(err.message + '\n'); return 78; }
    throw err;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`keys:rewrap failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
