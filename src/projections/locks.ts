import { sql, type Kysely } from 'kysely';

// First key of every advisory lock the projections take, so they cannot collide with other users
// of advisory locks in the same database.
const NAMESPACE = 0x4553; // "ES"

/**
 * Transaction-scoped, so the lock is released by commit or rollback and works through poolers in
 * transaction mode. Only on native Postgres: PGlite is one process, and its transactions run one
 * at a time anyway.
 */
export async function tryProjectionLock(trx: Kysely<any>, projection: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${NAMESPACE}, hashtext(${projection})) as locked`.execute(trx);
  return rows[0]?.locked === true;
}

/** Waits for the projection's lock (rebuild and compare, which must not be skipped). */
export async function waitForProjectionLock(trx: Kysely<any>, projection: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${NAMESPACE}, hashtext(${projection}))`.execute(trx);
}

/** Serialises table creation across processes starting at the same time. */
export async function lockTableCreation(trx: Kysely<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${NAMESPACE}, 0)`.execute(trx);
}
