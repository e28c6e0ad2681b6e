import { sql, type Kysely } from 'kysely';
import { scrubText } from '../log.ts';
import { START, type Checkpoint } from '../eventstore/port.ts';

/** A projection's row in es_checkpoints (migrations/0002_event_store.ts). */
export interface CheckpointRow {
  projection: string;
  checkpoint: Checkpoint;
  status: 'running' | 'faulted';
  error: string | null;
  failed_at: Checkpoint | null;
  attempts: number;
  updated_at: Date;
}

const ERROR_TEXT_LIMIT = 2000;

/** Creates missing rows at START; existing ones are left as they are. */
export async function ensureCheckpoints(db: Kysely<any>, projections: readonly string[]): Promise<void> {
  if (projections.length === 0) return;
  await db.insertInto('es_checkpoints')
    .values(projections.map((projection) => ({ projection, checkpoint: START })))
    .onConflict((oc) => oc.column('projection').doNothing())
    .execute();
}

export async function readCheckpoints(db: Kysely<any>, projections: readonly string[]): Promise<Map<string, CheckpointRow>> {
  if (projections.length === 0) return new Map();
  const rows = await db.selectFrom('es_checkpoints').selectAll()
    .where('projection', 'in', [...projections]).execute() as CheckpointRow[];
  return new Map(rows.map((r) => [r.projection, r]));
}

/** Reads the checkpoint and locks its row until the transaction ends. */
export async function lockCheckpoint(trx: Kysely<any>, projection: string): Promise<Checkpoint> {
  const row = await trx.selectFrom('es_checkpoints').select('checkpoint')
    .where('projection', '=', projection).forUpdate().executeTakeFirst() as { checkpoint: Checkpoint } | undefined;
  if (row) return row.checkpoint;
  await ensureCheckpoints(trx, [projection]);
  const created = await trx.selectFrom('es_checkpoints').select('checkpoint')
    .where('projection', '=', projection).forUpdate().executeTakeFirstOrThrow() as { checkpoint: Checkpoint };
  return created.checkpoint;
}

/** Moves the checkpoint (in the batch's transaction) and clears any fault. */
export async function storeCheckpoint(trx: Kysely<any>, projection: string, checkpoint: Checkpoint): Promise<void> {
  await trx.updateTable('es_checkpoints')
    .set({ checkpoint, status: 'running', error: null, failed_at: null, attempts: 0, updated_at: sql`now()` })
    .where('projection', '=', projection)
    .execute();
}

/** Records a failure (in its own transaction, after the batch rolled back). */
export async function markFaulted(db: Kysely<any>, projection: string, error: unknown, failedAt: Checkpoint | null): Promise<number> {
  const message = scrubText(error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, ERROR_TEXT_LIMIT);
  const row = await db.updateTable('es_checkpoints')
    .set({ status: 'faulted', error: message, failed_at: failedAt, attempts: sql`attempts + 1`, updated_at: sql`now()` })
    .where('projection', '=', projection)
    .returning('attempts')
    .executeTakeFirst() as { attempts: number } | undefined;
  return row?.attempts ?? 1;
}
