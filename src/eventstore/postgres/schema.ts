import { sql } from 'kysely';
import type { Checkpoint, EventMetadata, RecordedEvent } from '../port.ts';

/**
 * The Postgres event log's rows (tables from migrations/0002_event_store.ts) and how they become
 * port values. Numeric columns are read as text: `pg` returns int8 as strings, PGlite as numbers,
 * and xid8 exceeds what a JS number holds.
 */
export const NOTIFY_CHANNEL = 'es_appended';

/** The current epoch and the oldest transaction still running, as of the statement's snapshot. */
export const HORIZON = sql.raw(`select es_current_epoch() as epoch, pg_snapshot_xmin(pg_current_snapshot()) as xmin`);
/** Rows of `es_events e` that no running transaction can add to any more (with `h` = HORIZON). */
export const SETTLED = sql.raw(`(e.epoch < h.epoch or e.tx < h.xmin)`);

/** Columns every event read selects, in the shape `toRecordedEvent` expects. */
export const EVENT_COLUMNS = `e.epoch::int as epoch, e.tx::text as tx, e.pos::text as pos, e.stream, e.version::text as version,
  e.id::text as id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at`;

export interface EventRow {
  epoch: number;
  tx: string;
  pos: string;
  stream: string;
  version: string;
  id: string;
  type: string;
  schema_version: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  recorded_at: Date;
}

export interface Position {
  epoch: number;
  tx: string;
  pos: string;
}

// "<epoch 4>:<xid 20>:<pos 19>": zero-padded so that string order is (epoch, tx, pos) order.
const FORMAT = /^(\d{4}):(\d{20}):(\d{19})$/;

export function formatCheckpoint(p: Position): Checkpoint {
  return `${String(p.epoch).padStart(4, '0')}:${p.tx.padStart(20, '0')}:${p.pos.padStart(19, '0')}` as Checkpoint;
}

/** The position after which to read; the empty checkpoint (START) is before every event. */
export function parseCheckpoint(checkpoint: Checkpoint): Position {
  if (checkpoint === '') return { epoch: 0, tx: '0', pos: '0' };
  const m = FORMAT.exec(checkpoint);
  if (!m) throw new TypeError(`not a checkpoint of the Postgres event store: ${JSON.stringify(String(checkpoint).slice(0, 80))}`);
  return { epoch: Number(m[1]), tx: BigInt(m[2]!).toString(), pos: BigInt(m[3]!).toString() };
}

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: row.data,
    metadata: row.metadata,
    stream: row.stream,
    version: BigInt(row.version),
    checkpoint: formatCheckpoint(row),
    recordedAt: row.recorded_at instanceof Date ? row.recorded_at : new Date(row.recorded_at),
  };
}

/** `providerKey-openai` → `providerKey`; a name without a dash is its own category. */
export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash > 0 ? stream.slice(0, dash) : stream;
}
