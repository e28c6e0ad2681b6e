import { sql, type Kysely } from 'kysely';
import { WrongExpectedVersionError, type AppendResult, type ExpectedVersion, type NewEvent, type StreamName } from '../port.ts';
import { categoryOf, formatCheckpoint } from './schema.ts';

export interface AppendRequest {
  stream: StreamName;
  events: NewEvent[];
  expected: ExpectedVersion;
  /** JSON text of each event's data and metadata (already validated and measured). */
  serialized: Array<{ data: string; metadata: string }>;
}

/** An event id already stored in another stream, or a retry that does not match what was stored. */
export class EventIdConflictError extends Error {
  override name = 'EventIdConflictError';
  readonly code = 'EVENT_ID_CONFLICT';
}

/**
 * One append inside the caller's transaction (the careful path; appendBatch.ts is the fast one). The stream row is locked first, so concurrent writers
 * of the same stream queue behind each other (never a spurious conflict for 'any'), and the
 * (stream, version) primary key backs the check up.
 */
export async function appendInTransaction(trx: Kysely<any>, req: AppendRequest): Promise<AppendResult> {
  const { stream, events, expected } = req;
  // Held until commit. A missing stream is created here even if the check below fails: the caller's
  // rollback removes it, and creating it first means a concurrent retry waits for us and sees our ids.
  const current = (await lockStream(trx, stream)) ?? (await createStream(trx, stream));

  const retried = await findEarlierAppend(trx, req);
  if (retried) return retried;
  if (!matches(expected, current)) throw new WrongExpectedVersionError(stream, expected, current);

  const rows = events.map((e, i) => ({
    stream,
    version: (current + BigInt(i + 1)).toString(),
    id: e.id,
    type: e.type,
    schema_version: e.schemaVersion,
    data: req.serialized[i]!.data,
    metadata: req.serialized[i]!.metadata,
  }));
  let inserted: Array<{ epoch: number; tx: string; pos: string }>;
  try {
    inserted = await trx.insertInto('es_events').values(rows)
      .returning([sql<number>`epoch::int`.as('epoch'), sql<string>`tx::text`.as('tx'), sql<string>`pos::text`.as('pos')])
      .execute() as typeof inserted;
  } catch (err) {
    // A concurrent transaction stored one of these ids in another stream after our lookup.
    if (isUniqueViolation(err, 'es_events_id_key')) throw new EventIdConflictError(`an event id of this append is already stored (stream ${stream})`);
    throw err;
  }
  const nextVersion = current + BigInt(events.length);
  await trx.updateTable('es_streams').set({ version: nextVersion.toString() }).where('stream', '=', stream).execute();
  const last = inserted.reduce((a, b) => (BigInt(b.pos) > BigInt(a.pos) ? b : a));
  return { nextVersion, checkpoint: formatCheckpoint(last) };
}

export function matches(expected: ExpectedVersion, current: bigint): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === 0n;
  if (expected === 'stream_exists') return current > 0n;
  return current === expected;
}

async function lockStream(trx: Kysely<any>, stream: StreamName): Promise<bigint | undefined> {
  const row = await trx.selectFrom('es_streams').select(sql<string>`version::text`.as('version'))
    .where('stream', '=', stream).forUpdate().executeTakeFirst() as { version: string } | undefined;
  return row ? BigInt(row.version) : undefined;
}

/** Creates the stream row (locked by the insert). If another writer created it meanwhile, locks theirs. */
async function createStream(trx: Kysely<any>, stream: StreamName): Promise<bigint> {
  const created = await trx.insertInto('es_streams').values({ stream, category: categoryOf(stream), version: '0' })
    .onConflict((oc) => oc.column('stream').doNothing()).returning('stream').executeTakeFirst();
  if (created) return 0n;
  const version = await lockStream(trx, stream);
  if (version === undefined) throw new Error(`stream ${stream} vanished while being created`);
  return version;
}

/**
 * Idempotent retry: if these exact event ids were already appended, in this order, to this stream,
 * the original result is returned and nothing is written. Any other overlap is refused, since
 * appending it would either duplicate an event or break the retry's promise.
 */
async function findEarlierAppend(trx: Kysely<any>, req: AppendRequest): Promise<AppendResult | undefined> {
  const ids = req.events.map((e) => e.id);
  const found = await trx.selectFrom('es_events')
    .select(['id', 'stream', sql<string>`version::text`.as('version'), sql<number>`epoch::int`.as('epoch'), sql<string>`tx::text`.as('tx'), sql<string>`pos::text`.as('pos')])
    .where(sql<boolean>`id = any(${ids}::uuid[])`)
    .execute() as Array<{ id: string; stream: string; version: string; epoch: number; tx: string; pos: string }>;
  if (found.length === 0) return undefined;
  const byId = new Map(found.map((r) => [r.id, r]));
  const inOrder = ids.map((id) => byId.get(id));
  const first = inOrder[0];
  const sameAppend = first !== undefined && inOrder.every((r, i) =>
    r !== undefined && r.stream === req.stream && BigInt(r.version) === BigInt(first.version) + BigInt(i));
  if (!sameAppend) {
    const other = found.find((r) => r.stream !== req.stream);
    if (other) throw new EventIdConflictError(`event ${other.id} is already stored in another stream`);
    throw new WrongExpectedVersionError(req.stream, req.expected, await currentVersion(trx, req.stream));
  }
  const last = inOrder[inOrder.length - 1]!;
  return { nextVersion: BigInt(last.version), checkpoint: formatCheckpoint(last) };
}

async function currentVersion(trx: Kysely<any>, stream: StreamName): Promise<bigint> {
  const row = await trx.selectFrom('es_streams').select(sql<string>`version::text`.as('version'))
    .where('stream', '=', stream).executeTakeFirst() as { version: string } | undefined;
  return row ? BigInt(row.version) : 0n;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (e?.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(constraint));
}
