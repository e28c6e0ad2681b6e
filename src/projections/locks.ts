import { sql, type Kysely } from 'kysely';

// First key of every advisory lock the projections take, so they cannot collide with other users
// of advisory locks in the same database.
const NAMESPACE = 0x4553; // "ES"

/**
 * Takes the projection's lock if free, and makes the transaction commit without waiting for its
 * WAL flush (`synchronous_commit = off` for this transaction only), in the same round trip.
 *
 * The lock is transaction-scoped, so commit or rollback releases it and it works through poolers
 * in transaction mode. Only on native Postgres: PGlite is one process, and its transactions run
 * one at a time anyway.
 *
 * Safe because a read model is derived data: a crash can lose at most the last few projection
 * commits, and each carries its own checkpoint, so the runner re-applies exactly those events
 * on restart. The WAL is written in commit order, so a projection commit that survived a crash
 * implies every event append it read survived too. Appends keep synchronous commit: they are
 * what is acknowledged to clients.
 */
export async function tryProjectionLock(trx: Kysely<any>, projection: string): Promise<boolean> {
  const { rows } = await sql<{ locked: boolean }>`select set_config('synchronous_commit', 'off', true) is not null
    and pg_try_advisory_xact_lock(${NAMESPACE}, hashtext(${projection})) as locked`.execute(trx);
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
