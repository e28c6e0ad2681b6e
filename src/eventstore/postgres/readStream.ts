import { sql, type Kysely } from 'kysely';
import type { ReadStreamResult, StreamName } from '../port.ts';
import { EVENT_COLUMNS, toRecordedEvent, type EventRow } from './schema.ts';

/** One statement, so the version and the events come from the same snapshot. */
export async function readStream(db: Kysely<any>, stream: StreamName, from: bigint, maxCount: number): Promise<ReadStreamResult> {
  const { rows } = await sql<Partial<EventRow> & { stream_version: string }>`
    select s.version::text as stream_version, page.*
    from es_streams s
    left join lateral (
      select ${sql.raw(EVENT_COLUMNS)}
      from es_events e
      where e.stream = s.stream and e.version >= ${from.toString()}::bigint
      order by e.version
      limit ${maxCount}
    ) page on true
    where s.stream = ${stream}
    order by page.version::bigint`.execute(db);
  const first = rows[0];
  if (!first) return { version: 0n, events: [] };
  return {
    version: BigInt(first.stream_version),
    events: rows.filter((r) => r.id != null).map((r) => toRecordedEvent(r as EventRow)),
  };
}
