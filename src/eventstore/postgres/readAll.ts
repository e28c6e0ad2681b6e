import { sql, type Kysely } from 'kysely';
import type { ReadAllOptions, ReadAllResult } from '../port.ts';
import { maxCheckpoint } from '../validation.ts';
import { EVENT_COLUMNS, HORIZON, SETTLED, formatCheckpoint, parseCheckpoint, toRecordedEvent, type EventRow } from './schema.ts';

/*
 * Why one statement: under READ COMMITTED each statement takes its own snapshot. The horizon (the
 * snapshot's xmin), the page of events and the settled head must all come from the same snapshot,
 * or a transaction committing between two statements could slip below a horizon computed earlier.
 *
 * "Settled" = written by a transaction older than every transaction still running (tx < xmin), or
 * in an older epoch. Nothing can ever be added below that line, so a reader that only moves along
 * settled rows never skips one; a long-running writer only delays readers.
 */

export async function readAll(db: Kysely<any>, options: ReadAllOptions): Promise<ReadAllResult> {
  const after = parseCheckpoint(options.after);
  const typeFilter = options.types ? sql`and e.type = any(${[...options.types]}::text[])` : sql``;
  const { rows } = await sql<EventRow & { head_epoch: number | null; head_tx: string | null; head_pos: string | null; pending: boolean | null }>`
    with h as (${HORIZON}),
    page as (
      select ${sql.raw(EVENT_COLUMNS)}, e.tx as tx_order
      from es_events e, h
      where ${SETTLED}
        and (e.epoch, e.tx, e.pos) > (${after.epoch}::smallint, ${after.tx}::xid8, ${after.pos}::bigint)
        ${typeFilter}
      order by e.epoch, e.tx, e.pos
      limit ${options.batchSize}
    ),
    head as (
      select e.epoch::int as head_epoch, e.tx::text as head_tx, e.pos::text as head_pos
      from es_events e, h
      where ${SETTLED}
      order by e.epoch desc, e.tx desc, e.pos desc
      limit 1
    ),
    unsettled as (
      select true as pending
      from es_events e, h
      where e.epoch = h.epoch and e.tx >= h.xmin ${typeFilter}
      limit 1
    )
    select page.*, head.*, unsettled.pending
    from (select 1) as one
    left join head on true
    left join unsettled on true
    left join page on true
    order by page.epoch, page.tx_order, page.pos::bigint`.execute(db);

  const events = rows.filter((r) => r.id !== null).map(toRecordedEvent);
  const caughtUp = events.length < options.batchSize;
  let next = options.after;
  const last = events[events.length - 1];
  if (last) next = maxCheckpoint(next, last.checkpoint);
  // Every settled event up to the head was looked at, so a filtered reader may move past the ones
  // it has no use for: no event can appear below the head any more.
  const head = rows[0];
  if (caughtUp && head && head.head_tx !== null) {
    next = maxCheckpoint(next, formatCheckpoint({ epoch: head.head_epoch!, tx: head.head_tx, pos: head.head_pos! }));
  }
  return { events, next, caughtUp, pending: head?.pending === true };
}
