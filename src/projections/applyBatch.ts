import { sql, type Kysely } from 'kysely';
import type { Checkpoint, RecordedEvent } from '../eventstore/port.ts';
import { lockCheckpoint, storeCheckpoint } from './checkpoints.ts';
import { ProjectionApplyError } from './errors.ts';
import { tryProjectionLock } from './locks.ts';
import type { Projection } from './projection.ts';

export type Upcaster = (event: RecordedEvent) => RecordedEvent;

export interface BatchTarget {
  db: Kysely<any>;
  projection: Projection;
  /** Schema the read model's tables are in: `public` when live, a scratch schema when rebuilding. */
  schema: string;
  upcast?: Upcaster | undefined;
  /** Native Postgres: take the projection's advisory lock so two processes never apply at once. */
  lockOnServer: boolean;
}

export type BatchOutcome =
  /** Applied and committed; the projection is now at `checkpoint`. */
  | { kind: 'applied'; checkpoint: Checkpoint; applied: number }
  /** Another process holds the projection's lock right now. Nothing was done. */
  | { kind: 'busy' }
  /** The stored checkpoint is behind where this batch starts (a rebuild reset it). Nothing was done. */
  | { kind: 'rewound'; checkpoint: Checkpoint };

/**
 * Applies one batch (events in log order after `after`, up to `next`) and moves the checkpoint, in
 * one transaction: either both happen or neither, so a crash never loses or repeats an event.
 * Events at or below the stored checkpoint were applied by someone else already and are skipped;
 * the checkpoint moves to `next` even when no event in the batch was for this projection.
 */
export async function applyBatch(target: BatchTarget, after: Checkpoint, events: readonly RecordedEvent[], next: Checkpoint): Promise<BatchOutcome> {
  const { projection } = target;
  const handles = new Set(projection.handles);
  return transactionApplying(target.db, async (trx, mode): Promise<BatchOutcome> => {
    if (target.lockOnServer && !(await tryProjectionLock(trx, projection.name))) return { kind: 'busy' };
    const stored = await lockCheckpoint(trx, projection.name);
    if (stored < after) return { kind: 'rewound', checkpoint: stored };
    const applied = await applyEvents(trx, target, events.filter((e) => e.checkpoint > stored && handles.has(e.type)), mode);
    const reached = next > stored ? next : stored;
    if (reached !== stored) await storeCheckpoint(trx, projection.name, reached);
    return { kind: 'applied', checkpoint: reached, applied };
  });
}

/** `set`: a projection's `applyMany` where it has one; `each`: `apply` per event. */
export type ApplyMode = 'set' | 'each';

/** A set-wise apply failed; the transaction is redone event by event to name the event at fault. */
class SetWiseApplyFailed extends Error {}

/**
 * Runs `work` in a transaction that applies set-wise. If the set-wise apply fails, the whole
 * transaction is rolled back and run again event by event, so the error names the event at fault.
 * (Cheaper than a savepoint around every batch: two round trips saved in the common case.)
 */
export async function transactionApplying<T>(db: Kysely<any>, work: (trx: Kysely<any>, mode: ApplyMode) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute((trx) => work(trx, 'set'));
  } catch (err) {
    if (!(err instanceof SetWiseApplyFailed)) throw err;
    return db.transaction().execute((trx) => work(trx, 'each'));
  }
}

/** Applies events inside the caller's transaction to the tables in `target.schema`. */
export async function applyEvents(
  trx: Kysely<any>, target: Omit<BatchTarget, 'db' | 'lockOnServer'>, events: readonly RecordedEvent[], mode: ApplyMode,
): Promise<number> {
  if (events.length === 0) return 0;
  if (target.schema !== 'public') {
    // Raw SQL in a projection that names tables without a schema then also lands in the scratch schema.
    await sql`set local search_path to ${sql.id(target.schema)}, public`.execute(trx);
  }
  const scoped = trx.withSchema(target.schema);
  const { applyMany } = target.projection;
  if (mode === 'set' && applyMany && events.length > 1) {
    const upcast = target.upcast;
    try {
      await applyMany.call(target.projection, scoped, upcast ? events.map((e) => upcastKeepingType(upcast, e)) : events);
    } catch (err) {
      throw new SetWiseApplyFailed(`${target.projection.name}: set-wise apply failed`, { cause: err });
    }
    return events.length;
  }
  for (const recorded of events) {
    try {
      const event = target.upcast ? upcastKeepingType(target.upcast, recorded) : recorded;
      await target.projection.apply(scoped, event);
    } catch (err) {
      throw new ProjectionApplyError(target.projection.name, recorded.checkpoint, err);
    }
  }
  return events.length;
}

// The log is filtered by type before upcasting, so an upcaster that renamed a type would make
// events silently disappear from projections; it must change data and schemaVersion only.
function upcastKeepingType(upcast: Upcaster, event: RecordedEvent): RecordedEvent {
  const result = upcast(event);
  if (result.type !== event.type) throw new Error(`upcaster changed event type ${event.type} to ${result.type}`);
  return result;
}
