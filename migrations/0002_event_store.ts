import { sql, type Kysely } from 'kysely';

/**
 * The event log (see docs/event-store.md). Events are ordered globally by (epoch, tx, pos): the
 * writing transaction's id and an identity value. Readers only look below the snapshot's xmin
 * horizon, where no transaction can still add a row, so a slow writer is waited for, never skipped.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // One row. `epoch` is raised after a logical restore into another cluster: transaction ids
  // restart there, and the epoch keeps every new event ordered after every restored one.
  await sql`
    create table es_meta (
      singleton boolean primary key default true check (singleton),
      epoch smallint not null default 1 check (epoch between 1 and 9999)
    )`.execute(db);
  await sql`insert into es_meta default values`.execute(db);
  await sql`
    create function es_current_epoch() returns smallint language sql stable
    as $$ select epoch from es_meta $$`.execute(db);

  // The stream row carries the version and is what concurrent writers of one stream lock.
  await sql`
    create table es_streams (
      stream text primary key,
      category text not null,
      version bigint not null check (version >= 0),
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table es_events (
      epoch smallint not null default es_current_epoch(),
      tx xid8 not null default pg_current_xact_id(),
      pos bigint generated always as identity,
      stream text not null references es_streams (stream),
      version bigint not null check (version >= 1),
      id uuid not null unique,
      type text not null,
      schema_version integer not null,
      data jsonb not null,
      metadata jsonb not null,
      recorded_at timestamptz not null default now(),
      primary key (stream, version)
    )`.execute(db);
  await sql`create index es_events_global_order on es_events (epoch, tx, pos)`.execute(db);

  // History is immutable: corrections are new events, secrets are shredded by destroying their key.
  await sql`
    create function es_events_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception 'es_events is append-only (% refused)', tg_op using errcode = 'restrict_violation';
    end $$`.execute(db);
  await sql`
    create trigger es_events_append_only before update or delete on es_events
    for each row execute function es_events_refuse_change()`.execute(db);
  await sql`
    create trigger es_events_no_truncate before truncate on es_events
    for each statement execute function es_events_refuse_change()`.execute(db);

  // Where each projection is in the log. Written in the same transaction as its read model.
  await sql`
    create table es_checkpoints (
      projection text primary key,
      checkpoint text not null,
      status text not null default 'running' check (status in ('running', 'faulted')),
      error text,
      failed_at text,
      attempts integer not null default 0,
      updated_at timestamptz not null default now()
    )`.execute(db);
}
