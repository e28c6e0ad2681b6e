import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { WrongExpectedVersionError, type Checkpoint, type EventStore, type NewEvent, type RecordedEvent } from '../../src/eventstore/port.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { EventIdConflictError } from '../../src/eventstore/postgres/append.ts';
import { ensureLogEpoch } from '../../src/eventstore/postgres/epoch.ts';
import { availableBackends, freshDatabase, type Backend, type FreshDatabase } from '../support/databases.ts';
import { assertStrictlyIncreasing, eventStoreContract, eventually, until } from './contract.ts';

const log = createLogger('silent');
const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({ id: randomUUID(), type, schemaVersion: 1, data, metadata: { actor: 'test' } });

async function openStore(backend: Backend): Promise<{ store: EventStore; database: Database; fresh: FreshDatabase; close(): Promise<void> }> {
  const fresh = await freshDatabase(backend);
  const database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
  await migrateToLatest(database);
  const store = createPostgresEventStore({ database, log, pollMs: 100 });
  return {
    store, database, fresh,
    async close() {
      await store.close();
      await database.close();
      await fresh.drop();
    },
  };
}

describe.each(availableBackends())('Postgres event store on %s', (backend) => {
  eventStoreContract(backend, () => openStore(backend));

  describe('Postgres specifics', () => {
    let opened: Awaited<ReturnType<typeof openStore>>;
    beforeAll(async () => { opened = await openStore(backend); }, 60_000);
    afterAll(async () => { await opened?.close(); });

    test('es_append never scans a table: plans made while the log was small still look events up by key', async () => {
      // A fresh database holding a few events, written without es_append so that the session's
      // plans for it are made below: a log of one page, never analyzed, is where a scan looks
      // cheapest, and the plans outlive that moment. PostgreSQL 15 planned a scan of es_events
      // for every call here (PGlite's newer planner happened to pick the index).
      const own = await openStore(backend);
      try {
        const batch = (stream: string, ...ids: string[]) => JSON.stringify([{
          s: stream, x: 'any', e: ids.map((id) => ({ id, type: 'Keyed', sv: 1, data: {}, meta: { actor: 'test' } })),
        }]);
        const stream = `keyed-${randomUUID()}`;
        const first = randomUUID();
        await sql`insert into es_streams (stream, category, version) values ('seeded-1', 'seeded', 3)`.execute(own.database.db);
        await sql`insert into es_events (stream, version, id, type, schema_version, data, metadata)
          select 'seeded-1', v, gen_random_uuid(), 'Seeded', 1, '{}', '{}' from generate_series(1, 3) v`.execute(own.database.db);
        const scans = await own.database.db.transaction().execute(async (trx) => {
          // Counts pending in this backend; within one transaction they only grow, so the
          // difference is what these calls did.
          const count = async () => (await sql<{ relname: string; seq_scan: string }>`
            select relname, seq_scan::text from pg_stat_xact_user_tables where relname in ('es_events', 'es_streams') order by relname`.execute(trx)).rows;
          const before = await count();
          await sql`select * from es_append(${batch(stream, first)}::jsonb)`.execute(trx);
          // A retry of the same id and a new event on the same stream: both need the id lookup.
          await sql`select * from es_append(${batch(stream, first)}::jsonb)`.execute(trx);
          await sql`select * from es_append(${batch(stream, randomUUID())}::jsonb)`.execute(trx);
          const after = await count();
          return after.map((row) => ({ relname: row.relname, seq_scan: Number(row.seq_scan) - Number(before.find((b) => b.relname === row.relname)?.seq_scan ?? 0) }));
        });
        expect(scans).toEqual([{ relname: 'es_events', seq_scan: 0 }, { relname: 'es_streams', seq_scan: 0 }]);
        expect((await own.store.readStream(stream)).events.map((e) => e.type)).toEqual(['Keyed', 'Keyed']);
      } finally {
        await own.close();
      }
    });

    test('es_events refuses UPDATE, DELETE and TRUNCATE', async () => {
      const { store, database } = opened;
      await store.append(`immutable-${randomUUID()}`, [event('Fixed')], { expected: 'no_stream' });
      for (const statement of [sql`update es_events set type = 'Changed'`, sql`delete from es_events`, sql`truncate es_events cascade`]) {
        await expect(statement.execute(database.db)).rejects.toThrow(/append-only/);
      }
    });

    test('an event id already stored in another stream is refused', async () => {
      const { store } = opened;
      const e = event('Once');
      await store.append(`first-${randomUUID()}`, [e], { expected: 'no_stream' });
      await expect(store.append(`second-${randomUUID()}`, [e], { expected: 'no_stream' })).rejects.toBeInstanceOf(EventIdConflictError);
    });

    test('concurrent appends share a transaction, and a conflict fails only its own caller', async () => {
      const { store } = opened;
      const t = randomUUID().slice(0, 8);
      await store.append(`busy-${t}`, [event('Seed')], { expected: 'no_stream' });
      const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) =>
        i === 5
          ? store.append(`busy-${t}`, [event('Wrong')], { expected: 7n })
          : store.append(`group${i}-${t}`, [event('Grouped', { i }), event('Grouped', { i })], { expected: 'no_stream' })));
      const failed = results.filter((r) => r.status === 'rejected');
      expect(failed).toHaveLength(1);
      expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
      const ok = results.filter((r): r is PromiseFulfilledResult<{ nextVersion: bigint; checkpoint: Checkpoint }> => r.status === 'fulfilled');
      expect(ok).toHaveLength(11);
      // "<epoch>:<xid>:<pos>": appends committed by one transaction carry its xid.
      const transactions = new Set(ok.map((r) => r.value.checkpoint.split(':')[1]));
      expect(transactions.size).toBeLessThan(ok.length);
      for (let i = 0; i < 12; i++) {
        if (i !== 5) expect((await store.readStream(`group${i}-${t}`)).version).toBe(2n);
      }
      expect((await store.readStream(`busy-${t}`)).version).toBe(1n);
    });

    test('after a restore into a cluster whose transaction ids are behind the log, the epoch keeps new events last', async () => {
      const { store, database } = opened;
      const t = randomUUID().slice(0, 8);
      const types = [`Restored_${t}`, `New_${t}`];
      const start = await store.head();
      // What a restored log looks like from the new cluster: events of transactions "from the future".
      const stream = `restored-${t}`;
      await sql`insert into es_streams (stream, category, version) values (${stream}, 'restored', 1)`.execute(database.db);
      await sql`insert into es_events (tx, stream, version, id, type, schema_version, data, metadata)
        values ('900000000000'::xid8, ${stream}, 1, ${randomUUID()}, ${`Restored_${t}`}, 1, '{}', '{"actor":"test"}')`.execute(database.db);
      expect((await store.readAll({ after: start, batchSize: 10, types })).events).toEqual([]);

      const { rows } = await sql<{ epoch: number }>`select epoch::int as epoch from es_meta`.execute(database.db);
      expect(await ensureLogEpoch(database.db, log)).toBe(rows[0]!.epoch + 1);
      expect(await ensureLogEpoch(database.db, log)).toBe(rows[0]!.epoch + 1);
      const fresh = await store.append(`after-restore-${t}`, [event(`New_${t}`)], { expected: 'no_stream' });
      const events = (await eventually(() => store.readAll({ after: start, batchSize: 10, types }), (r) => r.events.length >= 2)).events;
      expect(events.map((e) => e.type)).toEqual(types);
      expect(events[1]!.checkpoint).toBe(fresh.checkpoint);
      expect(fresh.checkpoint.startsWith(String(rows[0]!.epoch + 1).padStart(4, '0'))).toBe(true);
    });

    test('checkpoints have a fixed width and order like the log', async () => {
      const { store } = opened;
      const a = await store.append(`width-${randomUUID()}`, [event('W')], { expected: 'no_stream' });
      expect(a.checkpoint).toMatch(/^\d{4}:\d{20}:\d{19}$/);
      const b = await store.append(`width-${randomUUID()}`, [event('W')], { expected: 'no_stream' });
      expect(a.checkpoint < b.checkpoint).toBe(true);
    });
  });

  if (backend !== 'postgres') return;

  // Transactions that commit out of order: two real connections, each transaction's xid forced early.
  describe('out-of-order commits (native Postgres)', () => {
    let opened: Awaited<ReturnType<typeof openStore>>;
    let older: pg.Client;
    let newer: pg.Client;
    let third: pg.Client;
    beforeAll(async () => {
      opened = await openStore(backend);
      const connect = async () => {
        const c = new pg.Client({ connectionString: opened.fresh.url });
        await c.connect();
        return c;
      };
      [older, newer, third] = await Promise.all([connect(), connect(), connect()]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all([older, newer, third].map((c) => c?.end()));
      await opened?.close();
    });

    const begin = async (c: pg.Client) => {
      await c.query('begin');
      await c.query('select pg_current_xact_id()');
    };
    const insert = async (c: pg.Client, type: string, stream = `raw-${randomUUID()}`) => {
      await c.query(`insert into es_streams (stream, category, version) values ($1, 'raw', 1)`, [stream]);
      await c.query(`insert into es_events (stream, version, id, type, schema_version, data, metadata)
        values ($1, 1, $2, $3, 1, '{}', '{"actor":"test"}')`, [stream, randomUUID(), type]);
    };
    const read = async (after: Checkpoint, types: string[]) => (await opened.store.readAll({ after, batchSize: 100, types })).events;
    /** Reads until at least `count` events are visible (commits elsewhere in the cluster can delay that). */
    const readAtLeast = (after: Checkpoint, types: string[], count: number) => eventually(() => read(after, types), (events) => events.length >= count);

    test('a newer transaction that commits first stays invisible until the older one commits', async () => {
      const { store } = opened;
      const t = randomUUID().slice(0, 8);
      const types = [`Slow_${t}`, `Fast_${t}`];
      const start = await store.head();
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribe({ after: start, types, onEvents: async (events) => { seen.push(...events); } });
      try {
        await begin(older);
        await insert(older, `Slow_${t}`);
        await begin(newer);
        await insert(newer, `Fast_${t}`);
        await newer.query('commit');

        expect(await read(start, types)).toEqual([]);
        await new Promise((r) => setTimeout(r, 300));
        expect(seen).toEqual([]);

        await older.query('commit');
        const events = await readAtLeast(start, types, 2);
        expect(events.map((e) => e.type)).toEqual([`Slow_${t}`, `Fast_${t}`]);
        assertStrictlyIncreasing(events.map((e) => e.checkpoint));
        await until(() => seen.length >= 2);
        expect(seen.map((e) => e.type)).toEqual([`Slow_${t}`, `Fast_${t}`]);
      } finally {
        await subscription.close();
      }
    });

    test('an older transaction that took a later sequence value is still read first', async () => {
      const t = randomUUID().slice(0, 8);
      const types = [`Early_${t}`, `Late_${t}`];
      const start = await opened.store.head();
      await begin(older);
      await begin(newer);
      await insert(newer, `Late_${t}`); // takes the smaller position
      await insert(older, `Early_${t}`);
      await newer.query('commit');
      await older.query('commit');
      const events = await readAtLeast(start, types, 2);
      expect(events.map((e) => e.type)).toEqual([`Early_${t}`, `Late_${t}`]);
      assertStrictlyIncreasing(events.map((e) => e.checkpoint));
    });

    test('several slow transactions: each newer commit waits for every older one', async () => {
      const t = randomUUID().slice(0, 8);
      const types = [`A_${t}`, `B_${t}`, `C_${t}`];
      const start = await opened.store.head();
      await begin(older);
      await insert(older, `A_${t}`);
      await begin(newer);
      await insert(newer, `B_${t}`);
      await begin(third);
      await insert(third, `C_${t}`);
      await third.query('commit');
      expect(await read(start, types)).toEqual([]);
      await older.query('commit');
      expect((await readAtLeast(start, types, 1)).map((e) => e.type)).toEqual([`A_${t}`]);
      await newer.query('commit');
      expect((await readAtLeast(start, types, 3)).map((e) => e.type)).toEqual([`A_${t}`, `B_${t}`, `C_${t}`]);
    });

    test('rolled-back appends leave holes that do not stall readers', async () => {
      const { store } = opened;
      const t = randomUUID().slice(0, 8);
      const types = [`Gone_${t}`, `Kept_${t}`];
      const start = await store.head();
      await begin(older);
      await insert(older, `Gone_${t}`);
      await older.query('rollback');
      const kept = await store.append(`kept-${t}`, [event(`Kept_${t}`)], { expected: 'no_stream' });
      const r = await eventually(() => store.readAll({ after: start, batchSize: 100, types }), (x) => x.next >= kept.checkpoint);
      expect(r.events.map((e) => e.type)).toEqual([`Kept_${t}`]);
      expect(r.next >= kept.checkpoint).toBe(true);
      expect(r.caughtUp).toBe(true);
    });

    test('while one batch waits on a locked stream, the next batch is written and commits', async () => {
      const { store } = opened;
      const t = randomUUID().slice(0, 8);
      await store.append(`locked-${t}`, [event('Seed')], { expected: 'no_stream' });
      await older.query('begin');
      await older.query('select 1 from es_streams where stream = $1 for update', [`locked-${t}`]);
      const blocked = store.append(`locked-${t}`, [event('Second')], { expected: 1n });
      await new Promise((r) => setTimeout(r, 50)); // its batch is in flight, waiting for the row lock
      const free = await Promise.race([
        store.append(`free-${t}`, [event('Free')], { expected: 'no_stream' }),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000)),
      ]);
      const unblock = older.query('commit');
      expect(free?.nextVersion).toBe(1n); // not stuck behind the blocked batch
      await unblock;
      expect((await blocked).nextVersion).toBe(2n);
    });

    test('an append racing another writer that creates the same stream is decided once that writer commits', async () => {
      const { store } = opened;
      const stream = `race-${randomUUID()}`;
      await begin(older);
      await insert(older, 'Raced', stream);
      let settled = false;
      const racing = store.append(stream, [event('Late')], { expected: 'no_stream' }).finally(() => { settled = true; });
      await new Promise((r) => setTimeout(r, 200));
      expect(settled).toBe(false);
      await older.query('commit');
      const err = await racing.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedVersionError);
      expect(err).toMatchObject({ actual: 1n });
      expect((await store.append(stream, [event('Next')], { expected: 1n })).nextVersion).toBe(2n);
    });

    test('an open write transaction holds readers back, then everything arrives in order', async () => {
      const { store } = opened;
      const t = randomUUID().slice(0, 8);
      const start = await store.head();
      await begin(older);
      await insert(older, `Held_${t}`);
      const appended = await Promise.all([0, 1, 2].map((i) => store.append(`after-${t}-${i}`, [event(`After_${t}`)], { expected: 'no_stream' })));
      expect(appended).toHaveLength(3);
      const held = await store.readAll({ after: start, batchSize: 100, types: [`Held_${t}`, `After_${t}`] });
      expect(held.events).toEqual([]);
      expect(held.pending).toBe(true); // committed, but behind the open transaction
      expect((await store.readAll({ after: start, batchSize: 100, types: [`Other_${t}`] })).pending).toBe(false);
      await older.query('commit');
      const events = await readAtLeast(start, [`Held_${t}`, `After_${t}`], 4);
      expect(events.map((e) => e.type)).toEqual([`Held_${t}`, `After_${t}`, `After_${t}`, `After_${t}`]);
      expect((await store.readAll({ after: events.at(-1)!.checkpoint, batchSize: 100, types: [`Held_${t}`, `After_${t}`] })).pending).toBe(false);
    });
  });
});
