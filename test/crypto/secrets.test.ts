import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { fernetDecrypt, generateFernetKey } from '../../src/crypto/fernet.ts';
import { parseMasterKeys, type Keyring } from '../../src/crypto/keyring.ts';
import {
  DataKeyNotFoundError, MasterKeyUnavailableError, createDataKeys,
} from '../../src/crypto/dataKeys.ts';
import {
  SecretShreddedError, SecretTamperedError, fingerprintSecret, maskKey, openSecret, sealSecret, shredSecret,
} from '../../src/crypto/secrets.ts';
import { availableBackends } from '../support/databases.ts';
import { migratedDatabase, type MigratedDatabase } from './migratedDatabase.ts';

const oldKey = generateFernetKey();
const newKey = generateFernetKey();
const ring = (text: string): Keyring => parseMasterKeys(text);
const plantedKey = (tag: string) => `sk-proj-PLANTED${tag}x9Q7mZ2vL4kR8tW1nB6cY3hJ5dF0ga1b2`;

interface KeyRow { id: string; wrapped: string | null; master_key_id: string | null; destroyed_at: Date | null }
async function keyRows(database: Database): Promise<KeyRow[]> {
  const { rows } = await sql<KeyRow>`select id, wrapped, master_key_id, destroyed_at from crypto_data_keys order by id`.execute(database.db);
  return rows;
}

/** Every row of every table in the schema, as Postgres renders it to text. */
async function everyRowAsText(database: Database): Promise<string> {
  const { rows: tables } = await sql<{ name: string }>`
    select quote_ident(table_schema) || '.' || quote_ident(table_name) as name
    from information_schema.tables
    where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`.execute(database.db);
  expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['public.crypto_data_keys', 'public.crypto_fingerprint_key']));
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.raw(name)} t`.execute(database.db);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

describe.each(availableBackends())('secrets at rest on %s', (backend) => {
  let store: MigratedDatabase;
  beforeEach(async () => { store = await migratedDatabase(backend); });
  afterEach(async () => { await store.dispose(); });

  test('seal then open returns the secret; the sealed form reveals only last4 and a fingerprint', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`));
    const secret = plantedKey('A');
    const sealed = await sealSecret(secret, keys);

    expect(Object.keys(sealed).sort()).toEqual(['ciphertext', 'dataKeyId', 'fingerprint', 'last4']);
    expect(sealed.last4).toBe('a1b2');
    expect(sealed.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(sealed)).not.toContain('PLANTED');
    expect(await openSecret(sealed, keys)).toBe(secret);

    // A process that starts later (nothing cached) opens it too.
    expect(await openSecret(sealed, createDataKeys(store.database, ring(`k1:${oldKey}`)))).toBe(secret);

    const again = await sealSecret(secret, keys);
    expect(again.dataKeyId).not.toBe(sealed.dataKeyId);
    expect(again.ciphertext).not.toBe(sealed.ciphertext);
    expect(again.fingerprint).toBe(sealed.fingerprint);
    expect((await sealSecret(plantedKey('B'), keys)).fingerprint).not.toBe(sealed.fingerprint);
    expect(await fingerprintSecret(secret, keys)).toBe(sealed.fingerprint);
    expect(maskKey(sealed.last4, 'sk-')).toBe('sk-...a1b2');
  });

  test('planted key: after sealing, no table holds the plaintext, a data key or a master key', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`));
    const secrets = [plantedKey('C'), plantedKey('D')];
    const dataKeys: string[] = [];
    for (const s of secrets) {
      const sealed = await sealSecret(s, keys);
      dataKeys.push(await keys.unwrap(sealed.dataKeyId));
    }
    const everything = await everyRowAsText(store.database);
    expect(everything).toContain('k1'); // the dump is real: it sees the master key id
    for (const needle of [...secrets, 'PLANTED', ...dataKeys, oldKey, oldKey.slice(0, 16)]) {
      expect(everything).not.toContain(needle);
    }
  });

  test('crypto-shredding: after destroy nothing in the table can decrypt the secret', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`));
    const doomed = await sealSecret(plantedKey('E'), keys);
    const kept = await sealSecret(plantedKey('F'), keys);
    await openSecret(doomed, keys); // cached now; the destroy must drop it

    expect(await shredSecret(doomed, keys)).toBe(true);
    await expect(openSecret(doomed, keys)).rejects.toBeInstanceOf(SecretShreddedError);
    await expect(openSecret(doomed, createDataKeys(store.database, ring(`k1:${oldKey}`)))).rejects.toBeInstanceOf(SecretShreddedError);
    expect(await openSecret(kept, keys)).toBe(plantedKey('F'));

    const rows = await keyRows(store.database);
    const row = rows.find((r) => r.id === doomed.dataKeyId)!;
    expect(row.wrapped).toBeNull();
    expect(row.destroyed_at).toBeInstanceOf(Date);

    // Whatever is left, unwrapped with the master key, is no key to the shredded ciphertext.
    for (const r of rows.filter((x) => x.wrapped !== null)) {
      const payload = fernetDecrypt(oldKey, r.wrapped!).toString('utf8');
      const candidate = payload.slice(payload.lastIndexOf(':') + 1);
      expect(() => fernetDecrypt(candidate, doomed.ciphertext)).toThrow();
    }
    const { rows: fp } = await sql<{ wrapped: string }>`select wrapped from crypto_fingerprint_key`.execute(store.database.db);
    expect(fp).toHaveLength(1);

    expect(await shredSecret(doomed, keys)).toBe(false);
    await expect(shredSecret({ dataKeyId: '00000000-0000-4000-8000-000000000000' }, keys)).rejects.toBeInstanceOf(DataKeyNotFoundError);
    await expect(openSecret({ ciphertext: kept.ciphertext, dataKeyId: 'not-a-uuid' }, keys)).rejects.toBeInstanceOf(DataKeyNotFoundError);
  });

  test('the database refuses a destroyed row that still carries a wrapped key', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`));
    const sealed = await sealSecret(plantedKey('G'), keys);
    await expect(sql`update crypto_data_keys set destroyed_at = now() where id = ${sealed.dataKeyId}`.execute(store.database.db))
      .rejects.toThrow(/crypto_data_keys_live_or_destroyed/);
  });

  test('rotation: with keys new,old rewrapAll re-wraps everything, which then opens with new alone', async () => {
    const before = createDataKeys(store.database, ring(`old:${oldKey}`));
    const secrets = [plantedKey('H'), plantedKey('I'), plantedKey('J')];
    const sealed = [];
    for (const s of secrets) sealed.push(await sealSecret(s, before));
    const shredded = await sealSecret(plantedKey('K'), before);
    await shredSecret(shredded, before);

    // The new key alone cannot open anything yet, and says why.
    await expect(openSecret(sealed[0]!, createDataKeys(store.database, ring(`new:${newKey}`))))
      .rejects.toThrow(MasterKeyUnavailableError);
    await expect(createDataKeys(store.database, ring(`new:${newKey}`)).rewrapAll()).rejects.toThrow(/master key\(s\) old/);

    const rotating = createDataKeys(store.database, ring(`new:${newKey},old:${oldKey}`));
    expect(await rotating.rewrapAll()).toEqual({ rewrapped: 4, alreadyCurrent: 0, failed: [] });
    expect(await rotating.rewrapAll()).toEqual({ rewrapped: 0, alreadyCurrent: 4, failed: [] });

    const after = createDataKeys(store.database, ring(`new:${newKey}`));
    for (const [i, s] of sealed.entries()) expect(await openSecret(s, after)).toBe(secrets[i]);
    await expect(openSecret(shredded, after)).rejects.toBeInstanceOf(SecretShreddedError);
    expect(await fingerprintSecret(secrets[0]!, after)).toBe(sealed[0]!.fingerprint);

    const rows = await keyRows(store.database);
    expect(rows.filter((r) => r.destroyed_at === null).map((r) => r.master_key_id)).toEqual(['new', 'new', 'new']);
    expect(rows.find((r) => r.id === shredded.dataKeyId)).toMatchObject({ wrapped: null });
    const { rows: fp } = await sql<{ master_key_id: string }>`select master_key_id from crypto_fingerprint_key`.execute(store.database.db);
    expect(fp).toEqual([{ master_key_id: 'new' }]);
  });

  test('tampering with the ciphertext or the stored data key is reported as such', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`), { cacheSize: 0 });
    const a = await sealSecret(plantedKey('L'), keys);
    const b = await sealSecret(plantedKey('M'), keys);

    const bytes = Buffer.from(a.ciphertext, 'base64url');
    bytes[30] = bytes[30]! ^ 0x80;
    const forged = { ...a, ciphertext: bytes.toString('base64url') };
    await expect(openSecret(forged, keys)).rejects.toBeInstanceOf(SecretTamperedError);
    await expect(openSecret({ ...a, ciphertext: b.ciphertext }, keys)).rejects.toBeInstanceOf(SecretTamperedError);

    // A wrapped key copied onto another row is refused rather than used.
    await sql`update crypto_data_keys set wrapped = (select wrapped from crypto_data_keys where id = ${b.dataKeyId}) where id = ${a.dataKeyId}`
      .execute(store.database.db);
    await expect(openSecret(a, keys)).rejects.toBeInstanceOf(SecretTamperedError);
    await sql`update crypto_data_keys set wrapped = 'gAAAA' where id = ${b.dataKeyId}`.execute(store.database.db);
    await expect(openSecret(b, keys)).rejects.toBeInstanceOf(SecretTamperedError);

    expect(await createDataKeys(store.database, ring(`new:${newKey},k1:${oldKey}`)).rewrapAll())
      .toEqual({ rewrapped: 1, alreadyCurrent: 0, failed: [a.dataKeyId, b.dataKeyId].sort() });
  });

  test('a destroy in one process reaches the cache of another that watches', async () => {
    const here = createDataKeys(store.database, ring(`k1:${oldKey}`));
    const there = createDataKeys(await store.openAnother(), ring(`k1:${oldKey}`), { cacheTtlMs: 3_600_000 });
    const stop = await there.watchDestroys();
    try {
      const sealed = await sealSecret(plantedKey('N'), here);
      expect(await openSecret(sealed, there)).toBe(plantedKey('N')); // now cached there for an hour
      await shredSecret(sealed, here);
      const deadline = Date.now() + 5_000;
      let outcome: unknown;
      while (Date.now() < deadline) {
        outcome = await openSecret(sealed, there).catch((err: unknown) => err);
        if (outcome instanceof SecretShreddedError) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(outcome).toBeInstanceOf(SecretShreddedError);
    } finally {
      await stop();
    }
  });

  test('bad input is refused before touching storage', async () => {
    const keys = createDataKeys(store.database, ring(`k1:${oldKey}`));
    await expect(sealSecret('', keys)).rejects.toThrow(TypeError);
    await expect(sealSecret('x'.repeat(16 * 1024 + 1), keys)).rejects.toThrow(RangeError);
    expect(await keyRows(store.database)).toEqual([]);
    expect((await sealSecret('short-one', keys)).last4).toBe('');
  });
});

describe('maskKey', () => {
  test('shows a prefix and the last four characters, and nothing that could break markup', () => {
    expect(maskKey('a1b2')).toBe('...a1b2');
    expect(maskKey('a1b2', 'sk-ant-')).toBe('sk-ant-...a1b2');
    expect(maskKey('<b>1', '"><script>')).toBe('script...b1');
    expect(maskKey('')).toBe('...');
  });
});
