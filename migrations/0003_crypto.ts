import { sql, type Kysely } from 'kysely';

// Data keys live outside the immutable event log so that destroying one (crypto-shredding) is a
// plain update here. A destroyed row keeps its id and dates for audit; `wrapped` becomes null.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table crypto_data_keys (
      id uuid primary key,
      wrapped text,
      master_key_id text,
      created_at timestamptz not null default now(),
      destroyed_at timestamptz,
      constraint crypto_data_keys_live_or_destroyed check (
        (destroyed_at is null and wrapped is not null and master_key_id is not null)
        or (destroyed_at is not null and wrapped is null)
      )
    )`.execute(db);
  // Lets a rotation find what still needs re-wrapping without reading every row.
  await sql`
    create index crypto_data_keys_live_by_master on crypto_data_keys (master_key_id)
    where destroyed_at is null`.execute(db);
  // The one key that makes secret fingerprints; wrapped like a data key and re-wrapped with them,
  // so a fingerprint stays the same across master-key rotations.
  await sql`
    create table crypto_fingerprint_key (
      singleton boolean primary key default true check (singleton),
      wrapped text not null,
      master_key_id text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
}
