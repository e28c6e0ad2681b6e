import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { START, type Checkpoint, type EventStore } from '../eventstore/port.ts';
import { yieldToEventLoop } from '../eventstore/wakeup.ts';
import { applyEvents, transactionApplying, type Upcaster } from './applyBatch.ts';
import { lockCheckpoint, readCheckpoints, storeCheckpoint } from './checkpoints.ts';
import { waitForProjectionLock } from './locks.ts';
import type { Projection } from './projection.ts';

export interface RebuildDeps {
  database: Database;
  eventStore: EventStore;
  projections: readonly Projection[];
  upcast?: Upcaster | undefined;
  log: Logger;
  batchSize: number;
}

export interface RebuildResult {
  projection: string;
  /** Where the swapped-in tables are; the live runner continues from here. */
  checkpoint: Checkpoint;
  /** Events applied during the rebuild. */
  events: number;
}

export interface TableDifference {
  table: string;
  /** Rows in the live table that the rebuild does not have (counting duplicates). */
  onlyLive: number;
  /** Rows the rebuild has that the live table does not. */
  onlyRebuilt: number;
  /** A few differing rows of each side, as Postgres prints a row. */
  samples: { onlyLive: string[]; onlyRebuilt: string[] };
}

export interface RebuildComparison {
  projection: string;
  /** Both sides reflect exactly the events up to here. */
  checkpoint: Checkpoint;
  equal: boolean;
  tables: TableDifference[];
}

const SAMPLE_ROWS = 5;
/** How often a comparison chases a live projection that keeps moving before giving up. */
const COMPARE_ATTEMPTS = 5;

/**
 * Replays the whole log into a scratch schema, batch by batch (each its own short transaction).
 * The last batch, read when the rebuild had caught up, is applied in the transaction that also
 * moves the live tables aside, moves the rebuilt ones into `public` and sets the checkpoint; that
 * transaction holds the projection's lock, so the live runner is not applying meanwhile. Events
 * committed after that last read are applied by the live runner, which resumes from the new
 * checkpoint. The old tables are dropped once the swap has committed.
 */
export async function rebuildProjection(deps: RebuildDeps, name: string): Promise<RebuildResult> {
  const projection = find(deps, name);
  const db = deps.database.db as Kysely<any>;
  const scratch = schemaName('rebuild', name);
  const retired = schemaName('retired', name);
  const target = { projection, schema: scratch, upcast: deps.upcast };
  const started = Date.now();
  await createScratch(db, projection, scratch);
  try {
    let position: Checkpoint = START;
    let events = 0;
    for (;;) {
      const batch = await deps.eventStore.readAll({ after: position, batchSize: deps.batchSize, types: projection.handles });
      if (!batch.caughtUp) {
        events += await transactionApplying(db, (trx, mode) => applyEvents(trx, target, batch.events, mode));
        position = batch.next;
        await yieldToEventLoop();
        continue;
      }
      events += await transactionApplying(db, async (trx, mode) => {
        if (deps.database.kind === 'postgres') await waitForProjectionLock(trx, name);
        await lockCheckpoint(trx, name);
        const applied = await applyEvents(trx, target, batch.events, mode);
        await swapTables(trx, projection.tables, scratch, retired);
        await storeCheckpoint(trx, name, batch.next);
        return applied;
      });
      position = batch.next;
      break;
    }
    deps.log.info('projection rebuilt and swapped in', { projection: name, checkpoint: position, events, ms: Date.now() - started });
    return { projection: name, checkpoint: position, events };
  } finally {
    await dropSchema(db, scratch);
    await dropSchema(db, retired);
  }
}

/**
 * Rebuilds into a scratch schema up to exactly the live projection's checkpoint and compares every
 * table both ways (EXCEPT ALL), under the projection's lock so the live side holds still. Nothing
 * is swapped; the scratch schema is dropped afterwards.
 */
export async function compareWithRebuild(deps: RebuildDeps, name: string): Promise<RebuildComparison> {
  const projection = find(deps, name);
  const db = deps.database.db as Kysely<any>;
  const scratch = schemaName('compare', name);
  await createScratch(db, projection, scratch);
  try {
    let position: Checkpoint = START;
    let goal = (await readCheckpoints(db, [name])).get(name)?.checkpoint ?? START;
    for (let attempt = 0; attempt < COMPARE_ATTEMPTS; attempt++) {
      position = await replayUntil(deps, projection, scratch, position, goal);
      const outcome = await db.transaction().execute(async (trx): Promise<{ moved: Checkpoint } | { tables: TableDifference[] }> => {
        // The advisory lock alone holds the live runner still. No row lock: that would give this
        // long read-only transaction a transaction id, and hold back every reader of the log.
        if (deps.database.kind === 'postgres') await waitForProjectionLock(trx, name);
        const live = (await readCheckpoints(trx, [name])).get(name)?.checkpoint ?? START;
        if (live !== goal) return { moved: live };
        return { tables: await diffTables(trx, projection.tables, scratch) };
      });
      if ('tables' in outcome) {
        const { tables } = outcome;
        return { projection: name, checkpoint: goal, equal: tables.every((t) => t.onlyLive === 0 && t.onlyRebuilt === 0), tables };
      }
      if (outcome.moved < goal) throw new Error(`projection ${name} was reset while being compared; run the comparison again`);
      goal = outcome.moved;
    }
    throw new Error(`projection ${name} kept moving during the comparison; try again when writes are quieter`);
  } finally {
    await dropSchema(db, scratch);
  }
}

/** Applies the projection's events in (from, goal] to the scratch schema; returns `goal`. */
async function replayUntil(deps: RebuildDeps, projection: Projection, schema: string, from: Checkpoint, goal: Checkpoint): Promise<Checkpoint> {
  const db = deps.database.db as Kysely<any>;
  const target = { projection, schema, upcast: deps.upcast };
  let position = from;
  while (position < goal) {
    const batch = await deps.eventStore.readAll({ after: position, batchSize: deps.batchSize, types: projection.handles });
    const events = batch.events.filter((e) => e.checkpoint <= goal);
    await transactionApplying(db, (trx, mode) => applyEvents(trx, target, events, mode));
    // Caught up means every event up to the goal has been read (the goal came from an earlier read).
    position = batch.next >= goal || batch.caughtUp ? goal : batch.next;
    await yieldToEventLoop();
  }
  return position;
}

async function createScratch(db: Kysely<any>, projection: Projection, schema: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`create schema ${sql.id(schema)}`.execute(trx);
    await projection.createTables(trx.withSchema(schema));
  });
}

async function swapTables(trx: Kysely<any>, tables: readonly string[], scratch: string, retired: string): Promise<void> {
  await sql`create schema ${sql.id(retired)}`.execute(trx);
  for (const table of tables) {
    const { rows } = await sql<{ present: boolean }>`select to_regclass(${`public.${quoteIdent(table)}`}) is not null as present`.execute(trx);
    if (rows[0]?.present) await sql`alter table ${sql.id('public', table)} set schema ${sql.id(retired)}`.execute(trx);
  }
  for (const table of tables) {
    await sql`alter table ${sql.id(scratch, table)} set schema public`.execute(trx);
  }
}

async function diffTables(trx: Kysely<any>, tables: readonly string[], scratch: string): Promise<TableDifference[]> {
  const result: TableDifference[] = [];
  for (const table of tables) {
    const live = sql.id('public', table);
    const rebuilt = sql.id(scratch, table);
    const side = async (a: typeof live, b: typeof live) => {
      const { rows } = await sql<{ row: string; total: number }>`
        select d.row, count(*) over ()::int as total
        from (select x::text as row from ${a} x except all select y::text from ${b} y) d
        order by d.row
        limit ${SAMPLE_ROWS}`.execute(trx);
      return { count: rows[0]?.total ?? 0, samples: rows.map((r) => r.row) };
    };
    const onlyLive = await side(live, rebuilt);
    const onlyRebuilt = await side(rebuilt, live);
    result.push({
      table,
      onlyLive: onlyLive.count,
      onlyRebuilt: onlyRebuilt.count,
      samples: { onlyLive: onlyLive.samples, onlyRebuilt: onlyRebuilt.samples },
    });
  }
  return result;
}

async function dropSchema(db: Kysely<any>, schema: string): Promise<void> {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
}

function find(deps: RebuildDeps, name: string): Projection {
  const projection = deps.projections.find((p) => p.name === name);
  if (!projection) throw new TypeError(`unknown projection ${JSON.stringify(name)}; known: ${deps.projections.map((p) => p.name).join(', ') || 'none'}`);
  return projection;
}

/** A fresh schema name per run, so two runs (or a crashed one's leftovers) never collide. */
function schemaName(purpose: 'rebuild' | 'retired' | 'compare', projection: string): string {
  return `${purpose}_${projection.toLowerCase().slice(0, 40)}_${randomBytes(4).toString('hex')}`;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
