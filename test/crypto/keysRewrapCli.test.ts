import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { generateFernetKey } from '../../src/crypto/fernet.ts';
import { parseMasterKeys } from '../../src/crypto/keyring.ts';
import { createDataKeys } from '../../src/crypto/dataKeys.ts';
import { openSecret, sealSecret, type SealedSecret } from '../../src/crypto/secrets.ts';
import { availableBackends, freshDatabase, type FreshDatabase } from '../support/databases.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/keys-rewrap.ts', import.meta.url));
const oldKey = generateFernetKey();
const newKey = generateFernetKey();

async function rewrapCli(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe.each(availableBackends())('npm run keys:rewrap on %s', (backend) => {
  let dataDir: string;
  let fresh: FreshDatabase;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gw-rewrap-'));
    fresh = await freshDatabase(backend);
  });
  afterEach(async () => {
    await fresh.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const storageEnv = () => ({ DATA_DIR: dataDir, ...(fresh.url ? { DATABASE_URL: fresh.url } : {}) });
  const open = () => openDatabase({ databaseUrl: fresh.url, dataDir });

  test('re-wraps under the first key; afterwards the old key can be dropped', async () => {
    const secrets = ['sk-cli-secret-one-0123456789abcd', 'sk-cli-secret-two-0123456789abcd'];
    const sealed: SealedSecret[] = [];
    let database = await open();
    try {
      await migrateToLatest(database);
      const keys = createDataKeys(database, parseMasterKeys(`old:${oldKey}`));
      for (const s of secrets) sealed.push(await sealSecret(s, keys));
    } finally {
      await database.close();
    }

    const result = await rewrapCli({ ...storageEnv(), MASTER_KEYS: `new:${newKey},old:${oldKey}` });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ msg: 'rewrap finished', wrappingKeyId: 'new', rewrapped: 3, alreadyCurrent: 0, failed: [] });
    for (const needle of [oldKey, newKey, ...secrets]) expect(result.stdout).not.toContain(needle);

    database = await open();
    try {
      const keys = createDataKeys(database, parseMasterKeys(`new:${newKey}`));
      for (const [i, s] of sealed.entries()) expect(await openSecret(s, keys)).toBe(secrets[i]);
    } finally {
      await database.close();
    }
  });

  test('bad MASTER_KEYS exits 78 naming the variable, without echoing it', async () => {
    const result = await rewrapCli({ ...storageEnv(), MASTER_KEYS: `new:${newKey.slice(0, 30)}` });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/MASTER_KEYS entry 1: the key must be 32 bytes/);
    expect(result.stderr + result.stdout).not.toContain(newKey.slice(0, 30));
  });

  test('a key still needed but missing from MASTER_KEYS exits 78 and changes nothing', async () => {
    let database = await open();
    let sealed: SealedSecret;
    try {
      await migrateToLatest(database);
      sealed = await sealSecret('sk-cli-secret-three-0123456789ab', createDataKeys(database, parseMasterKeys(`old:${oldKey}`)));
    } finally {
      await database.close();
    }
    const result = await rewrapCli({ ...storageEnv(), MASTER_KEYS: `new:${newKey}` });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/master key\(s\) old, which are not configured/);
    database = await open();
    try {
      expect(await openSecret(sealed, createDataKeys(database, parseMasterKeys(`old:${oldKey}`)))).toBe('sk-cli-secret-three-0123456789ab');
    } finally {
      await database.close();
    }
  });
});
