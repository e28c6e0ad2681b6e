/**
 * Data keys (DEKs): one random Fernet key per secret, stored only wrapped by a master key, in the
 * mutable table crypto_data_keys rather than in the event log. Destroying a data key makes every
 * ciphertext made with it unreadable (crypto-shredding) while the events themselves stay immutable.
 *
 * Unwrapped keys are cached in memory, bounded in size and age, because the request path decrypts a
 * provider key on every call. A destroy drops the entry here at once and, through NOTIFY, in every
 * other process that called `watchDestroys()`; the age bound covers a missed notification.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type Generated, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import { FernetError, fernetDecrypt, fernetEncrypt, generateFernetKey } from './fernet.ts';
import type { Keyring, MasterKey } from './keyring.ts';

type CryptoTables = {
  crypto_data_keys: {
    id: string;
    wrapped: string | null;
    master_key_id: string | null;
    created_at: Generated<Date>;
    destroyed_at: Date | null;
  };
  crypto_fingerprint_key: {
    singleton: Generated<boolean>;
    wrapped: string;
    master_key_id: string;
    created_at: Generated<Date>;
  };
};

export class DataKeyNotFoundError extends Error {
  override name = 'DataKeyNotFoundError';
  readonly dataKeyId: string;
  constructor(dataKeyId: string) {
    super(`data key ${dataKeyId} does not exist`);
    this.dataKeyId = dataKeyId;
  }
}

export class DataKeyDestroyedError extends Error {
  override name = 'DataKeyDestroyedError';
  readonly dataKeyId: string;
  constructor(dataKeyId: string) {
    super(`data key ${dataKeyId} has been destroyed`);
    this.dataKeyId = dataKeyId;
  }
}

/** The stored wrapped key does not authenticate under its master key, or belongs to another row. */
export class DataKeyCorruptError extends Error {
  override name = 'DataKeyCorruptError';
}

/** A key is wrapped by a master key that is not in the configured keyring. */
export class MasterKeyUnavailableError extends Error {
  override name = 'MasterKeyUnavailableError';
}

export interface RewrapReport {
  /** Live data keys (and the fingerprint key) moved to the primary master key by this run. */
  rewrapped: number;
  /** Live keys that were already wrapped by the primary master key. */
  alreadyCurrent: number;
  /** Ids whose wrapped key did not authenticate; they were left as they were. */
  failed: string[];
}

export interface DataKeysOptions {
  /** Most unwrapped data keys held in memory at once. */
  cacheSize?: number;
  /** How long an unwrapped data key may be served from memory. */
  cacheTtlMs?: number;
}

export const DESTROYED_CHANNEL = 'crypto_data_key_destroyed';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REWRAP_BATCH = 200;
const MAX_REPORTED_FAILURES = 100;
const FINGERPRINT_KEY_BYTES = 32;

// The wrapped payload names what it belongs to, so a wrapped value copied onto another row (or the
// fingerprint key passed off as a data key) is refused instead of silently used.
const dataKeyPayload = (id: string, key: string) => `dek:${id}:${key}`;
const FINGERPRINT_PAYLOAD_PREFIX = 'fingerprint:';

export class DataKeys {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly #db: Kysely<CryptoTables>;
  readonly #cache = new Map<string, { key: string; expiresAt: number }>();
  readonly #cacheSize: number;
  readonly #cacheTtlMs: number;
  #fingerprintKey: Promise<Buffer> | undefined;
  // Bumped by every destroy seen here, so an unwrap that raced one does not cache what it read.
  #destroys = 0;

  constructor(database: Database, keyring: Keyring, options: DataKeysOptions = {}) {
    this.database = database;
    this.keyring = keyring;
    this.#db = database.db.withTables<CryptoTables>();
    this.#cacheSize = Math.max(0, options.cacheSize ?? 1024);
    this.#cacheTtlMs = Math.max(0, options.cacheTtlMs ?? 60_000);
  }

  /** A new data key, stored wrapped by the primary master key; the caller gets it unwrapped. */
  async create(): Promise<{ id: string; key: string }> {
    const id = randomUUID();
    const key = generateFernetKey();
    const master = this.keyring.primary;
    await this.#db
      .insertInto('crypto_data_keys')
      .values({ id, wrapped: fernetEncrypt(master.key, dataKeyPayload(id, key)), master_key_id: master.id, destroyed_at: null })
      .execute();
    this.#remember(id, key);
    return { id, key };
  }

  async unwrap(id: string): Promise<string> {
    const cached = this.#cache.get(id);
    if (cached && cached.expiresAt > Date.now()) {
      // Re-inserting keeps the map in least-recently-used order.
      this.#cache.delete(id);
      this.#cache.set(id, cached);
      return cached.key;
    }
    this.#cache.delete(id);
    if (!UUID.test(id)) throw new DataKeyNotFoundError(id.slice(0, 64));
    const destroysBefore = this.#destroys;
    const row = await this.#db
      .selectFrom('crypto_data_keys')
      .select(['wrapped', 'master_key_id', 'destroyed_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw new DataKeyNotFoundError(id);
    if (row.destroyed_at !== null || row.wrapped === null || row.master_key_id === null) {
      throw new DataKeyDestroyedError(id);
    }
    const key = this.#unwrapDataKey(id, row.wrapped, this.#master(row.master_key_id));
    if (this.#destroys === destroysBefore) this.#remember(id, key);
    return key;
  }

  /**
   * Erases the wrapped key for good, keeping id and dates for audit. Returns false when it was
   * already destroyed; throws DataKeyNotFoundError for an unknown id.
   */
  async destroy(id: string): Promise<boolean> {
    this.#forget(id);
    if (!UUID.test(id)) throw new DataKeyNotFoundError(id.slice(0, 64));
    const destroyed = await this.#db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('crypto_data_keys')
        .set({ wrapped: null, destroyed_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('destroyed_at', 'is', null)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) return false;
      // Delivered on commit, so no process drops its cached copy before the row really changed.
      await sql`select pg_notify(${DESTROYED_CHANNEL}, ${id})`.execute(trx);
      return true;
    });
    this.#forget(id);
    if (destroyed) return true;
    const exists = await this.#db.selectFrom('crypto_data_keys').select('id').where('id', '=', id).executeTakeFirst();
    if (!exists) throw new DataKeyNotFoundError(id);
    return false;
  }

  /** Drops cached keys as soon as any process destroys them. Call the result to stop listening. */
  async watchDestroys(): Promise<() => Promise<void>> {
    return this.database.listen(DESTROYED_CHANNEL, (id) => { this.#forget(id); });
  }

  /** Forgets every unwrapped key held in memory. */
  clearCache(): void {
    this.#cache.clear();
  }

  /** The secret behind fingerprints; made once per database and kept for its lifetime. */
  fingerprintKey(): Promise<Buffer> {
    this.#fingerprintKey ??= this.#loadFingerprintKey().catch((err: unknown) => {
      this.#fingerprintKey = undefined;
      throw err;
    });
    return this.#fingerprintKey;
  }

  /**
   * Re-wraps every live data key and the fingerprint key under the primary master key. Events are not
   * touched: they hold ciphertext made with the data keys, which do not change. Safe to run again.
   */
  async rewrapAll(): Promise<RewrapReport> {
    const primary = this.keyring.primary;
    const inUse = await this.#db
      .selectFrom('crypto_data_keys')
      .select(['master_key_id', (eb) => eb.fn.countAll<string>().as('count')])
      .where('destroyed_at', 'is', null)
      .groupBy('master_key_id')
      .execute();
    const fingerprintRow = await this.#db.selectFrom('crypto_fingerprint_key').select(['wrapped', 'master_key_id']).executeTakeFirst();
    const usedIds = new Set(inUse.map((r) => r.master_key_id ?? ''));
    if (fingerprintRow) usedIds.add(fingerprintRow.master_key_id);
    const missing = [...usedIds].filter((id) => !this.keyring.get(id));
    if (missing.length) {
      throw new MasterKeyUnavailableError(
        `keys are wrapped by master key(s) ${missing.join(', ')}, which are not configured; add them after the primary key`,
      );
    }

    const report: RewrapReport = {
      rewrapped: 0,
      alreadyCurrent: Number(inUse.find((r) => r.master_key_id === primary.id)?.count ?? 0),
      failed: [],
    };
    const fail = (id: string) => { if (report.failed.length < MAX_REPORTED_FAILURES) report.failed.push(id); };

    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const batch = await this.#db
        .selectFrom('crypto_data_keys')
        .select(['id', 'wrapped', 'master_key_id'])
        .where('destroyed_at', 'is', null)
        .where('master_key_id', '<>', primary.id)
        .where('id', '>', after)
        .orderBy('id')
        .limit(REWRAP_BATCH)
        .execute();
      for (const row of batch) {
        after = row.id;
        if (row.wrapped === null || row.master_key_id === null) continue;
        let key: string;
        try {
          key = this.#unwrapDataKey(row.id, row.wrapped, this.#master(row.master_key_id));
        } catch (err) {
          if (err instanceof DataKeyCorruptError) { fail(row.id); continue; }
          throw err;
        }
        // Conditional on the old value, so a key destroyed meanwhile is never brought back.
        const updated = await this.#db
          .updateTable('crypto_data_keys')
          .set({ wrapped: fernetEncrypt(primary.key, dataKeyPayload(row.id, key)), master_key_id: primary.id })
          .where('id', '=', row.id)
          .where('wrapped', '=', row.wrapped)
          .where('destroyed_at', 'is', null)
          .executeTakeFirst();
        if (updated.numUpdatedRows > 0n) report.rewrapped += 1;
      }
      if (batch.length < REWRAP_BATCH) break;
    }

    if (fingerprintRow && fingerprintRow.master_key_id !== primary.id) {
      try {
        const secret = this.#unwrapFingerprintKey(fingerprintRow.wrapped, this.#master(fingerprintRow.master_key_id));
        const updated = await this.#db
          .updateTable('crypto_fingerprint_key')
          .set({ wrapped: this.#wrapFingerprintKey(secret, primary), master_key_id: primary.id })
          .where('wrapped', '=', fingerprintRow.wrapped)
          .executeTakeFirst();
        if (updated.numUpdatedRows > 0n) report.rewrapped += 1;
      } catch (err) {
        if (!(err instanceof DataKeyCorruptError)) throw err;
        fail('fingerprint-key');
      }
    } else if (fingerprintRow) {
      report.alreadyCurrent += 1;
    }
    return report;
  }

  #master(id: string): MasterKey {
    const master = this.keyring.get(id);
    if (!master) {
      throw new MasterKeyUnavailableError(`a key is wrapped by master key ${id}, which is not configured`);
    }
    return master;
  }

  #unwrapDataKey(id: string, wrapped: string, master: MasterKey): string {
    const prefix = dataKeyPayload(id, '');
    let payload: string;
    try {
      payload = fernetDecrypt(master.key, wrapped).toString('utf8');
    } catch (err) {
      if (err instanceof FernetError) throw new DataKeyCorruptError(`data key ${id} does not authenticate under master key ${master.id}`);
      throw err;
    }
    if (!payload.startsWith(prefix)) throw new DataKeyCorruptError(`data key ${id} holds a key that belongs elsewhere`);
    return payload.slice(prefix.length);
  }

  #wrapFingerprintKey(secret: Buffer, master: MasterKey): string {
    return fernetEncrypt(master.key, FINGERPRINT_PAYLOAD_PREFIX + secret.toString('base64url'));
  }

  #unwrapFingerprintKey(wrapped: string, master: MasterKey): Buffer {
    let payload: string;
    try {
      payload = fernetDecrypt(master.key, wrapped).toString('utf8');
    } catch (err) {
      if (err instanceof FernetError) throw new DataKeyCorruptError(`the fingerprint key does not authenticate under master key ${master.id}`);
      throw err;
    }
    if (!payload.startsWith(FINGERPRINT_PAYLOAD_PREFIX)) throw new DataKeyCorruptError('the fingerprint key row holds another kind of key');
    return Buffer.from(payload.slice(FINGERPRINT_PAYLOAD_PREFIX.length), 'base64url');
  }

  async #loadFingerprintKey(): Promise<Buffer> {
    const read = () => this.#db.selectFrom('crypto_fingerprint_key').select(['wrapped', 'master_key_id']).executeTakeFirst();
    let row = await read();
    if (!row) {
      const primary = this.keyring.primary;
      // Concurrent first uses race here; the primary key on `singleton` lets exactly one insert win.
      await this.#db
        .insertInto('crypto_fingerprint_key')
        .values({ wrapped: this.#wrapFingerprintKey(randomBytes(FINGERPRINT_KEY_BYTES), primary), master_key_id: primary.id })
        .onConflict((oc) => oc.column('singleton').doNothing())
        .execute();
      row = await read();
      if (!row) throw new Error('the fingerprint key could not be stored');
    }
    return this.#unwrapFingerprintKey(row.wrapped, this.#master(row.master_key_id));
  }

  #forget(id: string): void {
    this.#destroys += 1;
    this.#cache.delete(id);
  }

  #remember(id: string, key: string): void {
    if (this.#cacheSize === 0 || this.#cacheTtlMs === 0) return;
    this.#cache.delete(id);
    this.#cache.set(id, { key, expiresAt: Date.now() + this.#cacheTtlMs });
    while (this.#cache.size > this.#cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest === undefined) break;
      this.#cache.delete(oldest);
    }
  }
}

export function createDataKeys(database: Database, keyring: Keyring, options?: DataKeysOptions): DataKeys {
  return new DataKeys(database, keyring, options);
}
