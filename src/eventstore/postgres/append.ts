import { sql, type Kysely } from 'kysely';
import { WrongExpectedVersionError, type AppendResult, type ExpectedVersion, type NewEvent, type StreamName } from '../port.ts';
import { formatCheckpoint } from './schema.ts';

export interface AppendRequest {
  stream: StreamName;
  events: NewEvent[];
  expected: ExpectedVersion;
  /** JSON text of each event's data and metadata (already validated and measured). */
  serialized: Array<{ data: string; metadata: string }>;
  /** Committed without waiting for the WAL flush (AppendOptions.durability 'deferred'). */
  deferFlush: boolean;
}

/** An event id already stored in another stream. */
export class EventIdConflictError extends Error {
  override name = 'EventIdConflictError';
  readonly code = 'EVENT_ID_CONFLICT';
}

export type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };
/** Left for the next batch: it repeats ids of an earlier append in this batch (a racing retry). */
export const DEFERRED = Symbol('deferred');

interface OutcomeRow {
  append_index: number;
  outcome: 'ok' | 'wrong_version' | 'id_conflict' | 'deferred';
  next_version: string | null;
  actual_version: string | null;
  last_epoch: number | null;
  last_tx: string | null;
  last_pos: string | null;
  conflicting_id: string | null;
}

/**
 * Writes a batch of appends with one call of `es_append` (migrations/0004_event_store_append_fn.ts):
 * one statement, so in autocommit one round trip and one transaction. The outcomes come back in
 * the order of `requests`. A failed call wrote nothing. The commit waits for the WAL flush unless
 * every append in the batch asked not to.
 */
export async function appendBatch(db: Kysely<any>, requests: readonly AppendRequest[], origin: string): Promise<Array<Outcome | typeof DEFERRED>> {
  const flush = requests.some((r) => !r.deferFlush);
  const { rows } = await sql<OutcomeRow>`select * from es_append(${batchDocument(requests)}::jsonb, ${origin}, ${flush})`.execute(db);
  const outcomes = new Array<Outcome | typeof DEFERRED>(requests.length);
  for (const row of rows) {
    const req = requests[row.append_index - 1]!;
    outcomes[row.append_index - 1] = toOutcome(req, row);
  }
  for (let i = 0; i < outcomes.length; i++) {
    if (outcomes[i] === undefined) throw new Error(`es_append returned no outcome for append ${i + 1} of ${requests.length}`);
  }
  return outcomes;
}

function toOutcome(req: AppendRequest, row: OutcomeRow): Outcome | typeof DEFERRED {
  switch (row.outcome) {
    case 'ok':
      return {
        ok: true,
        result: {
          nextVersion: BigInt(row.next_version!),
          checkpoint: formatCheckpoint({ epoch: row.last_epoch!, tx: row.last_tx!, pos: String(row.last_pos!) }),
        },
      };
    case 'wrong_version':
      return { ok: false, error: new WrongExpectedVersionError(req.stream, req.expected, BigInt(row.actual_version!)) };
    case 'id_conflict':
      return { ok: false, error: new EventIdConflictError(`event ${row.conflicting_id} is already stored in another stream`) };
    case 'deferred':
      return DEFERRED;
    default:
      throw new Error(`es_append returned an unknown outcome: ${String(row.outcome)}`);
  }
}

/**
 * The batch as es_append reads it. Data and metadata are already JSON text (validation serialized
 * them to measure them), so they are spliced in rather than serialized a second time.
 */
export function batchDocument(requests: readonly AppendRequest[]): string {
  const parts: string[] = [];
  for (const req of requests) {
    const events: string[] = [];
    req.events.forEach((e, i) => {
      const { data, metadata } = req.serialized[i]!;
      // Ids are validated lowercase UUIDs and schema versions integers: neither needs escaping.
      events.push(`{"id":"${e.id}","type":${JSON.stringify(e.type)},"sv":${e.schemaVersion},"data":${data},"meta":${metadata}}`);
    });
    parts.push(`{"s":${JSON.stringify(req.stream)},"x":"${expectedText(req.expected)}","e":[${events.join(',')}]}`);
  }
  return `[${parts.join(',')}]`;
}

function expectedText(expected: ExpectedVersion): string {
  return typeof expected === 'bigint' ? (expected === 0n ? 'no_stream' : expected.toString()) : expected;
}

/** Failures after which running the same batch again is the right answer (nothing was written). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  // 40001: a stream was created concurrently; 40P01: deadlock; 23505: an id was stored concurrently,
  // which the next run sees and refuses with EventIdConflictError.
  return code === '40001' || code === '40P01' || code === '23505';
}
