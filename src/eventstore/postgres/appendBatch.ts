import { sql, type Kysely } from 'kysely';
import { WrongExpectedVersionError, type AppendResult } from '../port.ts';
import { EventIdConflictError, matches, type AppendRequest } from './append.ts';
import { categoryOf, formatCheckpoint, type Position } from './schema.ts';

export type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };
/** Left for the next transaction: it repeats ids of an earlier append in this batch (a racing retry). */
export const DEFERRED = Symbol('deferred');

/** Another transaction created one of the streams between our lock and our insert. */
export class StreamCreatedConcurrently extends Error {}

interface StoredEvent extends Position {
  id: string;
  stream: string;
  version: string;
}

/**
 * Many appends in a handful of statements, whatever their number: lock every stream row (in stream
 * order), look up all event ids once, decide each append in memory exactly as if they ran one after
 * the other, then insert all accepted events in one statement and set the stream versions in one
 * more. A refused append writes nothing, so no savepoints are needed; its caller gets the error.
 *
 * `requests` must be sorted by stream (appends to one stream in arrival order).
 */
export async function appendBatch(trx: Kysely<any>, requests: readonly AppendRequest[]): Promise<Array<Outcome | typeof DEFERRED>> {
  const streams = [...new Set(requests.map((r) => r.stream))];
  const locked = await trx.selectFrom('es_streams')
    .select(['stream', sql<string>`version::text`.as('version')])
    .where(sql<boolean>`stream = any(${streams}::text[])`)
    .orderBy('stream').forUpdate().execute() as Array<{ stream: string; version: string }>;
  const existing = new Map(locked.map((r) => [r.stream, BigInt(r.version)]));

  const ids = requests.flatMap((r) => r.events.map((e) => e.id));
  const stored = new Map((await trx.selectFrom('es_events')
    .select(['id', 'stream', sql<string>`version::text`.as('version'), sql<number>`epoch::int`.as('epoch'), sql<string>`tx::text`.as('tx'), sql<string>`pos::text`.as('pos')])
    .where(sql<boolean>`id = any(${ids}::uuid[])`)
    .execute() as StoredEvent[]).map((r) => [r.id, r]));

  const versions = new Map(existing);
  const outcomes: Array<Outcome | typeof DEFERRED | { ok: true; pending: { firstVersion: bigint } }> = [];
  const idsInBatch = new Set<string>();
  for (const req of requests) {
    const current = versions.get(req.stream) ?? 0n;
    const earlier = earlierAppend(req, stored, current);
    if (earlier) {
      outcomes.push(earlier);
      continue;
    }
    if (req.events.some((e) => idsInBatch.has(e.id))) {
      // A retry racing its original inside one batch: once the original is stored, the next
      // transaction answers it like any other retry.
      outcomes.push(DEFERRED);
      continue;
    }
    if (!matches(req.expected, current)) {
      outcomes.push({ ok: false, error: new WrongExpectedVersionError(req.stream, req.expected, current) });
      continue;
    }
    for (const e of req.events) idsInBatch.add(e.id);
    versions.set(req.stream, current + BigInt(req.events.length));
    outcomes.push({ ok: true, pending: { firstVersion: current + 1n } });
  }

  const accepted = requests.flatMap((req, i) => {
    const o = outcomes[i]!;
    return o !== DEFERRED && 'pending' in o ? [{ req, first: o.pending.firstVersion }] : [];
  });
  if (accepted.length === 0) return outcomes as Array<Outcome | typeof DEFERRED>;

  const created = [...versions].filter(([stream]) => !existing.has(stream));
  if (created.length > 0) {
    const inserted = await trx.insertInto('es_streams')
      .values(created.map(([stream, version]) => ({ stream, category: categoryOf(stream), version: version.toString() })))
      .onConflict((oc) => oc.column('stream').doNothing())
      .returning('stream').execute();
    if (inserted.length !== created.length) throw new StreamCreatedConcurrently('a stream was created concurrently');
  }

  const rows = accepted.flatMap(({ req, first }) => req.events.map((e, i) => ({
    stream: req.stream,
    version: (first + BigInt(i)).toString(),
    id: e.id,
    type: e.type,
    schema_version: e.schemaVersion,
    data: req.serialized[i]!.data,
    metadata: req.serialized[i]!.metadata,
  })));
  const written = new Map((await trx.insertInto('es_events').values(rows)
    .returning(['id', sql<number>`epoch::int`.as('epoch'), sql<string>`tx::text`.as('tx'), sql<string>`pos::text`.as('pos')])
    .execute() as Array<Position & { id: string }>).map((r) => [r.id, r]));

  const moved = [...versions].filter(([stream, version]) => existing.has(stream) && existing.get(stream) !== version);
  if (moved.length > 0) {
    await sql`update es_streams s set version = v.version
      from unnest(${moved.map(([s]) => s)}::text[], ${moved.map(([, v]) => v.toString())}::bigint[]) as v(stream, version)
      where s.stream = v.stream`.execute(trx);
  }

  return requests.map((req, i) => {
    const o = outcomes[i]!;
    if (o === DEFERRED || !('pending' in o)) return o;
    const last = written.get(req.events[req.events.length - 1]!.id)!;
    return { ok: true, result: { nextVersion: o.pending.firstVersion + BigInt(req.events.length) - 1n, checkpoint: formatCheckpoint(last) } };
  });
}

/**
 * Idempotent retry: these exact ids already stored, in this order, in this stream, give the
 * original result. Ids stored elsewhere, or only some of them, are refused.
 */
function earlierAppend(req: AppendRequest, stored: Map<string, StoredEvent>, current: bigint): Outcome | undefined {
  const found = req.events.map((e) => stored.get(e.id));
  if (found.every((f) => f === undefined)) return undefined;
  const other = found.find((f) => f !== undefined && f.stream !== req.stream);
  if (other) return { ok: false, error: new EventIdConflictError(`event ${other.id} is already stored in another stream`) };
  const first = found[0];
  const same = first !== undefined && found.every((f, i) => f !== undefined && BigInt(f.version) === BigInt(first.version) + BigInt(i));
  if (!same) return { ok: false, error: new WrongExpectedVersionError(req.stream, req.expected, current) };
  const last = found[found.length - 1]!;
  return { ok: true, result: { nextVersion: BigInt(last.version), checkpoint: formatCheckpoint(last) } };
}
