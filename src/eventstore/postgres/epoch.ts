import { sql, type Kysely } from 'kysely';
import type { Logger } from '../../log.ts';

/**
 * Transaction ids order the log, and they are local to a Postgres cluster: a logical dump restored
 * into another cluster (or a PGlite folder rebuilt from a dump) starts counting again below the ids
 * already stored. New events would then sort before old ones, and readers past those would never
 * see them. If the counter is behind the newest event of the current epoch, the epoch is raised, so
 * every new event sorts after every restored one. Run before the first append.
 */
export async function ensureLogEpoch(db: Kysely<any>, log: Logger): Promise<number> {
  const { rows } = await sql<{ epoch: number }>`
    update es_meta set epoch = epoch + 1
    where (
      select e.tx from es_events e
      where e.epoch = es_meta.epoch
      order by e.epoch desc, e.tx desc
      limit 1
    ) >= pg_snapshot_xmax(pg_current_snapshot())
    returning epoch::int as epoch`.execute(db);
  if (rows[0]) {
    log.warn('transaction ids restarted below the stored log (restored into another cluster?); raised the log epoch', { epoch: rows[0].epoch });
    return rows[0].epoch;
  }
  const current = await sql<{ epoch: number }>`select es_current_epoch()::int as epoch`.execute(db);
  return current.rows[0]!.epoch;
}
