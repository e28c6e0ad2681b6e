import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import type { Checkpoint, EventStore, NewEvent, RecordedEvent } from '../../src/eventstore/port.ts';
import { createPostgresEventStore } from '../../src/eventstore/postgres/store.ts';
import { createProjectionRunner, type ProjectionRunner } from '../../src/projections/runner.ts';
import { ProjectionTimeoutError } from '../../src/projections/errors.ts';
import type { Projection } from '../../src/projections/projection.ts';
import { availableBackends, freshDatabase, type FreshDatabase } from '../support/databases.ts';

const log = createLogger('silent');

interface Tally {
  projection: Projection;
  type: string;
  /** While set, apply throws after it has written (a crash between apply and checkpoint). */
  crashOn: Set<string>;
  applied: string[];
}

/**
 * A test-only read model: per stream a running total, plus one row per applied event whose primary
 * key makes a second application of the same event fail loudly.
 */
function tally(name: string): Tally {
  const type = `Tallied_${name}`;
  const crashOn = new Set<string>();
  const applied: string[] = [];
  const projection: Projection = {
    name,
    handles: [type],
    tables: [name, `${name}_log`],
    async createTables(db: Kysely<any>) {
      await db.schema.createTable(name).ifNotExists()
        .addColumn('stream', 'text', (c) => c.primaryKey())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('events', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createTable(`${name}_log`).ifNotExists()
        .addColumn('event_id', 'uuid', (c) => c.primaryKey())
        .addColumn('stream', 'text', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('checkpoint', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex(`${name}_log_by_stream`).ifNotExists().on(`${name}_log`).columns(['stream', 'version']).execute();
    },
    async apply(db: Kysely<any>, event: RecordedEvent) {
      await db.insertInto(`${name}_log`).values({ event_id: event.id, stream: event.stream, version: event.version.toString(), checkpoint: event.checkpoint }).execute();
      await db.insertInto(name).values({ stream: event.stream, total: String(event.data.amount), events: 1 })
        .onConflict((oc) => oc.column('stream').doUpdateSet({ total: sql`${sql.ref(name)}.total + excluded.total`, events: sql`${sql.ref(name)}.events + 1` }))
        .execute();
      if (crashOn.has(event.id)) throw new Error(`crashed after applying ${event.id}`);
      applied.push(event.id);
    },
  };
  return { projection, type, crashOn, applied };
}

const tallied = (t: Tally, amount: number): NewEvent => ({ id: randomUUID(), type: t.type, schemaVersion: 1, data: { amount }, metadata: { actor: 'test' } });
const unrelated = (): NewEvent => ({ id: randomUUID(), type: 'Unrelated', schemaVersion: 1, data: {}, metadata: { actor: 'test' } });

describe.each(availableBackends())('projection runner on %s', (backend) => {
  let fresh: FreshDatabase;
  let database: Database;
  let store: EventStore;
  let db: Kysely<any>;
  const runners: ProjectionRunner[] = [];
  const extraDatabases: Database[] = [];

  beforeAll(async () => {
    fresh = await freshDatabase(backend);
    database = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
    await migrateToLatest(database);
    store = createPostgresEventStore({ database, log, pollMs: 100 });
    db = database.db as Kysely<any>;
  }, 60_000);
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await store?.close();
    for (const d of extraDatabases) await d.close();
    await database?.close();
    await fresh?.drop();
  });

  const runner = (projections: Projection[], on: { database: Database; store: EventStore } = { database, store }) => {
    const r = createProjectionRunner({ database: on.database, eventStore: on.store, projections, log, batchSize: 50 });
    runners.push(r);
    return r;
  };
  const rows = async (t: Tally) => ({
    totals: Object.fromEntries((await db.selectFrom(t.projection.name).selectAll().execute()).map((r: any) => [r.stream, Number(r.total)])),
    log: (await db.selectFrom(`${t.projection.name}_log`).select(['event_id', 'checkpoint']).orderBy('checkpoint').execute()) as Array<{ event_id: string; checkpoint: string }>,
  });
  const stored = async (name: string) => db.selectFrom('es_checkpoints').selectAll().where('projection', '=', name).executeTakeFirst() as Promise<any>;
  const name = () => `tally_${randomUUID().slice(0, 8)}`;

  /** Appends `appends` times from each of `writers` concurrent writers; returns the expected totals. */
  const write = async (t: Tally, writers: number, appends: number) => {
    const totals: Record<string, number> = {};
    let last = '' as Checkpoint;
    let count = 0;
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < appends; i++) {
        const stream = `${t.projection.name}-${(w + i) % 7}`;
        const amount = w * 1000 + i;
        const events = i % 5 === 0 ? [tallied(t, amount), unrelated()] : [tallied(t, amount)];
        const r = await store.append(stream, events, { expected: 'any' });
        totals[stream] = (totals[stream] ?? 0) + amount;
        count++;
        if (r.checkpoint > last) last = r.checkpoint;
      }
    }));
    return { totals, last, count };
  };

  test('applies every event exactly once while writers append concurrently', async () => {
    const t = tally(name());
    const r = runner([t.projection]);
    await r.start();
    const { totals, last, count } = await write(t, 6, 60);
    await r.waitFor(last, [t.projection.name], 20_000);
    const { totals: projected, log: applied } = await rows(t);
    expect(projected).toEqual(totals);
    expect(applied).toHaveLength(count);
    expect((await stored(t.projection.name)).checkpoint >= last).toBe(true);
    const lag = await r.lag();
    expect(lag[t.projection.name]).toMatchObject({ status: 'running', caughtUp: true, error: null });
  }, 40_000);

  test('a crash between apply and checkpoint leaves both unchanged; a restart applies the event once', async () => {
    const t = tally(name());
    let r = runner([t.projection]);
    await r.start();
    const first = await store.append(`${t.projection.name}-a`, [tallied(t, 5)], { expected: 'no_stream' });
    await r.waitFor(first.checkpoint, [t.projection.name], 10_000);
    const before = await rows(t);
    const checkpointBefore = (await stored(t.projection.name)).checkpoint;

    const doomed = tallied(t, 7);
    t.crashOn.add(doomed.id);
    const second = await store.append(`${t.projection.name}-a`, [doomed], { expected: 1n });
    await until(async () => (await stored(t.projection.name)).status === 'faulted');
    expect(await rows(t)).toEqual(before);
    expect((await stored(t.projection.name)).checkpoint).toBe(checkpointBefore);
    await expect(r.waitFor(second.checkpoint, [t.projection.name], 300)).rejects.toBeInstanceOf(ProjectionTimeoutError);

    await r.stop();
    t.crashOn.clear();
    r = runner([t.projection]);
    await r.start();
    await r.waitFor(second.checkpoint, [t.projection.name], 10_000);
    const after = await rows(t);
    expect(after.totals).toEqual({ [`${t.projection.name}-a`]: 12 });
    expect(after.log.filter((l) => l.event_id === doomed.id)).toHaveLength(1);
    expect(await stored(t.projection.name)).toMatchObject({ status: 'running', error: null, failed_at: null });
  }, 30_000);

  test('a faulted projection reports why and where, retries, recovers, and does not hold others back', async () => {
    const failing = tally(name());
    const healthy = tally(name());
    const r = runner([failing.projection, healthy.projection]);
    await r.start();
    const poison = tallied(failing, 1);
    failing.crashOn.add(poison.id);
    const bad = await store.append(`${failing.projection.name}-x`, [poison], { expected: 'no_stream' });
    const good = await store.append(`${healthy.projection.name}-x`, [tallied(healthy, 2)], { expected: 'no_stream' });

    await r.waitFor(good.checkpoint, [healthy.projection.name], 10_000);
    await until(async () => (await r.lag())[failing.projection.name]!.status === 'faulted');
    const lag = (await r.lag())[failing.projection.name]!;
    expect(lag.error).toContain(`crashed after applying ${poison.id}`);
    expect(lag.failedAt).toBe(bad.checkpoint);
    expect(lag.caughtUp).toBe(false);
    const row = await stored(failing.projection.name);
    expect(row).toMatchObject({ status: 'faulted', failed_at: bad.checkpoint });
    expect(row.attempts).toBeGreaterThanOrEqual(1);

    await until(async () => (await stored(failing.projection.name)).attempts >= 2, 10_000);
    failing.crashOn.clear();
    await r.waitFor(bad.checkpoint, [failing.projection.name], 15_000);
    expect((await r.lag())[failing.projection.name]).toMatchObject({ status: 'running', error: null, failedAt: null });
    expect((await rows(failing)).log.map((l) => l.event_id)).toEqual([poison.id]);
  }, 40_000);

  test('a projection with a set-wise apply: batches apply whole, and a failing batch is redone event by event to name the event at fault', async () => {
    const t = tally(name());
    const batchSizes: number[] = [];
    const setWise: Projection = {
      ...t.projection,
      // The reference apply, one event at a time, run for the whole batch (what a set-wise
      // statement would do), failing as a whole when any event in it is poisoned.
      async applyMany(db, events) {
        batchSizes.push(events.length);
        if (events.some((e) => t.crashOn.has(e.id))) throw new Error('set-wise statement failed');
        for (const e of events) await t.projection.apply(db, e);
      },
    };
    const r = runner([setWise]);
    const stream = `${t.projection.name}-batch`;
    const before = [tallied(t, 1), tallied(t, 2)];
    const poison = tallied(t, 3);
    const after = tallied(t, 4);
    t.crashOn.add(poison.id);
    await store.append(stream, before, { expected: 'no_stream' });
    const bad = await store.append(stream, [poison], { expected: 2n });
    const last = await store.append(stream, [after], { expected: 3n });
    await r.start(); // everything is in the log already: the first batch holds all four

    await until(async () => (await r.lag())[t.projection.name]!.status === 'faulted');
    const lag = (await r.lag())[t.projection.name]!;
    expect(lag.failedAt).toBe(bad.checkpoint); // the event at fault, not the batch
    expect(lag.error).toContain(`crashed after applying ${poison.id}`);
    expect((await rows(t)).log).toEqual([]); // nothing of the failed batch stayed

    t.crashOn.clear();
    await r.waitFor(last.checkpoint, [t.projection.name], 15_000);
    expect((await rows(t)).log.map((l) => l.event_id).sort()).toEqual([...before, poison, after].map((e) => e.id).sort());
    expect((await rows(t)).totals).toEqual({ [stream]: 10 });
    expect(batchSizes[0]).toBe(4);
  }, 40_000);

  test('waitFor resolves once projections get there, past events they do not handle, and times out otherwise', async () => {
    const t = tally(name());
    const r = runner([t.projection]);
    await r.start();
    const started = Date.now();
    const own = await store.append(`${t.projection.name}-w`, [tallied(t, 1)], { expected: 'no_stream' });
    await r.waitFor(own.checkpoint, [t.projection.name], 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await rows(t)).totals).toEqual({ [`${t.projection.name}-w`]: 1 });

    // Only events it does not handle: the checkpoint still moves past them.
    const other = await store.append(`other-${randomUUID()}`, [unrelated(), unrelated()], { expected: 'no_stream' });
    await r.waitFor(other.checkpoint, [t.projection.name], 5_000);

    const unreachable = '9999:00000000000000000001:0000000000000000001' as Checkpoint;
    const waitStarted = Date.now();
    const err = await r.waitFor(unreachable, [t.projection.name], 250).then(() => undefined, (e: unknown) => e);
    const waited = Date.now() - waitStarted;
    expect(err).toBeInstanceOf(ProjectionTimeoutError);
    expect(waited).toBeGreaterThanOrEqual(240);
    expect(waited).toBeLessThan(2_000);
    const reached = (err as ProjectionTimeoutError).reached[t.projection.name]!;
    expect(reached >= other.checkpoint).toBe(true);
    expect((err as Error).message).toContain(reached);

    await expect(r.waitFor(own.checkpoint, ['no_such_projection'], 100)).rejects.toThrow(TypeError);
  }, 30_000);

  test('a rebuild equals the live tables, and the comparison notices when they differ', async () => {
    const t = tally(name());
    const r = runner([t.projection]);
    await r.start();
    const { last } = await write(t, 3, 30);
    await r.waitFor(last, [t.projection.name], 20_000);

    const same = await r.compareWithRebuild(t.projection.name);
    expect(same.equal).toBe(true);
    expect(same.tables.map((x) => [x.table, x.onlyLive, x.onlyRebuilt])).toEqual([[t.projection.name, 0, 0], [`${t.projection.name}_log`, 0, 0]]);

    await sql`update ${sql.table(t.projection.name)} set total = total + 1 where stream = ${`${t.projection.name}-0`}`.execute(db);
    const drifted = await r.compareWithRebuild(t.projection.name);
    expect(drifted.equal).toBe(false);
    expect(drifted.tables[0]).toMatchObject({ table: t.projection.name, onlyLive: 1, onlyRebuilt: 1 });
    expect(drifted.tables[0]!.samples.onlyLive[0]).toContain(`${t.projection.name}-0`);

    const rebuilt = await r.rebuildProjection(t.projection.name);
    expect(rebuilt.events).toBe((await rows(t)).log.length);
    expect((await r.compareWithRebuild(t.projection.name)).equal).toBe(true);
    const { rows: leftovers } = await sql<{ n: number }>`select count(*)::int as n from pg_namespace where nspname like ${'%' + t.projection.name + '%'}`.execute(db);
    expect(leftovers[0]!.n).toBe(0);
  }, 40_000);

  test('a rebuild swaps in while events keep arriving, and nothing is lost or applied twice', async () => {
    const t = tally(name());
    const r = runner([t.projection]);
    await r.start();
    await write(t, 2, 40);
    let writing = true;
    const background = (async () => {
      const totals: Record<string, number> = {};
      let last = '' as Checkpoint;
      let count = 0;
      while (writing) {
        const stream = `${t.projection.name}-bg${count % 3}`;
        const res = await store.append(stream, [tallied(t, count)], { expected: 'any' });
        totals[stream] = (totals[stream] ?? 0) + count;
        last = res.checkpoint;
        count++;
      }
      return { totals, last, count };
    })();
    await new Promise((res) => setTimeout(res, 100));
    const rebuilt = await r.rebuildProjection(t.projection.name);
    await new Promise((res) => setTimeout(res, 100));
    writing = false;
    const bg = await background;
    expect(bg.count).toBeGreaterThan(0);
    await r.waitFor(bg.last, [t.projection.name], 20_000);

    const { totals, log: applied } = await rows(t);
    const events = await allEvents(store, t.type);
    expect(applied.map((a) => a.event_id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const [stream, total] of Object.entries(bg.totals)) expect(totals[stream]).toBe(total);
    expect(rebuilt.checkpoint <= (await stored(t.projection.name)).checkpoint).toBe(true);
    expect((await r.compareWithRebuild(t.projection.name)).equal).toBe(true);
  }, 40_000);

  test('two runners (two processes in cluster mode) never both apply an event', async () => {
    const t = tally(name());
    let second = { database, store };
    if (backend === 'postgres') {
      const other = await openDatabase({ databaseUrl: fresh.url, dataDir: 'memory://' });
      extraDatabases.push(other);
      second = { database: other, store: createPostgresEventStore({ database: other, log, pollMs: 100 }) };
    }
    const a = runner([t.projection]);
    const b = runner([t.projection], second);
    await Promise.all([a.start(), b.start()]);
    const { totals, last, count } = await write(t, 4, 40);
    await a.waitFor(last, [t.projection.name], 20_000);
    await b.waitFor(last, [t.projection.name], 20_000);
    const { totals: projected, log: applied } = await rows(t);
    expect(applied).toHaveLength(count);
    expect(projected).toEqual(totals);
    if (second.store !== store) await second.store.close();
  }, 40_000);
});

async function allEvents(store: EventStore, type: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let after = '' as Checkpoint;
  for (;;) {
    const r = await store.readAll({ after, batchSize: 1000, types: [type] });
    events.push(...r.events);
    after = r.next;
    if (r.caughtUp) return events;
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
