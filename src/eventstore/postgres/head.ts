import { sql, type Kysely } from 'kysely';
import { START, type Checkpoint } from '../port.ts';
import { HORIZON, SETTLED, formatCheckpoint } from './schema.ts';

/** The checkpoint of the last settled event; START when the log is empty. */
export async function head(db: Kysely<any>): Promise<Checkpoint> {
  const { rows } = await sql<{ epoch: number; tx: string; pos: string }>`
    with h as (${HORIZON})
    select e.epoch::int as epoch, e.tx::text as tx, e.pos::text as pos
    from es_events e, h
    where ${SETTLED}
    order by e.epoch desc, e.tx desc, e.pos desc
    limit 1`.execute(db);
  const row = rows[0];
  return row ? formatCheckpoint(row) : START;
}
