import { sql, type Kysely } from 'kysely';

/**
 * `es_append(batch jsonb)`: a whole group-commit batch of appends in one call, so that a batch
 * costs one round trip and, run in autocommit, one transaction (see docs/event-store.md).
 *
 * `origin` names the calling process in the notification sent on commit (channel es_appended,
 * payload {"o": origin, "t": [event types]}). With `flush` false the transaction commits without
 * waiting for its WAL flush (synchronous_commit off for it alone); the next flushed commit makes
 * it durable too, since the WAL is written in commit order.
 *
 * `batch` is a JSON array of appends, in arrival order:
 *   {"s": stream, "x": "any" | "no_stream" | "stream_exists" | "<version>",
 *    "e": [{"id": uuid, "type": text, "sv": schema version, "data": {...}, "meta": {...}}, ...]}
 *
 * One row comes back per append, keyed by its 1-based index in `batch`:
 *   ok             next_version and the (epoch, tx, pos) of its last event, stored now or, for an
 *                  idempotent retry, when it was first appended
 *   wrong_version  actual_version is the stream's version at that point of the batch
 *   id_conflict    conflicting_id is one of its ids, already stored in another stream
 *   deferred       it repeats ids of an earlier append of this batch (a retry racing its original);
 *                  the caller sends it again in the next batch, where it is decided like any retry
 *
 * Appends are decided in (stream, arrival) order exactly as if they ran one after the other. A
 * refused append writes nothing. Existing stream rows are locked first, in stream order in every
 * caller, so concurrent batches queue on shared streams instead of deadlocking, and ids are looked up
 * only after those locks are held, so a retry that waited for its original sees it. A stream created
 * by another transaction after the locks were taken makes the call fail with serialization_failure
 * (40001); nothing was written and the caller runs the batch again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function es_append(batch jsonb, origin text default '', flush boolean default true)
    returns table (
      append_index int, outcome text, next_version text, actual_version text,
      last_epoch int, last_tx text, last_pos text, conflicting_id text
    )
    language plpgsql volatile
    -- Left to choose, the plan cache re-plans the statements below on every call (custom plans),
    -- which measured three times the cost of the call itself; their shape never changes.
    set plan_cache_mode = force_generic_plan
    -- A generic plan is made once per connection with the statistics of that moment. Made while
    -- es_events was small (a fresh database, or any database before it is analyzed; PGlite never
    -- analyzes on its own), it looked ids up by scanning the whole table on every call, ever
    -- after: 150 ms per call at 230 000 events. Every table access here is a keyed lookup, so
    -- scans are ruled out whatever the statistics say.
    set enable_seqscan = off
    -- The one table without a key to look up, es_meta (one row), is still scanned, at the cost
    -- that ruling scans out gives it; a cost that large would have every call JIT-compile it.
    set jit = off
    as $fn$
    declare
      log_epoch smallint := es_current_epoch();
      writer xid8;
      streams text[];
      event_ids uuid[];
      locked jsonb;
      r record;
      current_stream text;
      current_version bigint;
      missing_streams bigint;
      -- appends decided without writing (retries, refusals, deferrals)
      d_index int[] := '{}';
      d_outcome text[] := '{}';
      d_next bigint[] := '{}';
      d_actual bigint[] := '{}';
      d_epoch int[] := '{}';
      d_tx text[] := '{}';
      d_pos bigint[] := '{}';
      d_conflict uuid[] := '{}';
      -- accepted appends
      a_index int[] := '{}';
      a_stream text[] := '{}';
      a_first bigint[] := '{}';
      a_last bigint[] := '{}';
      a_pos bigint[];
      notice text;
    begin
      if not flush then
        perform set_config('synchronous_commit', 'off', true);
      end if;
      -- Arrays rather than joins against the batch: the planner knows nothing about the size of a
      -- jsonb set, and would scan whole tables to join it.
      select array_agg(distinct t.x->>'s'), array_agg((u.v->>'id')::uuid) into streams, event_ids
      from jsonb_array_elements(batch) as t(x) cross join lateral jsonb_array_elements(t.x->'e') as u(v);

      select coalesce(jsonb_object_agg(l.stream, l.version), '{}') into locked
      from (
        select s.stream, s.version from es_streams s
        where s.stream = any(streams)
        order by s.stream collate "C"
        for update
      ) l;

      for r in
        with appends as (
          select t.i::int as i, t.x->>'s' as s, t.x->>'x' as expected, jsonb_array_length(t.x->'e') as n, t.x->'e' as events
          from jsonb_array_elements(batch) with ordinality as t(x, i)
        ),
        ids as (
          select a.i, a.s, a.n, u.k::int as k, (u.v->>'id')::uuid as event_id
          from appends a cross join lateral jsonb_array_elements(a.events) with ordinality as u(v, k)
        ),
        stored as (
          select ids.i,
            count(*)::int as found,
            (array_agg(ids.event_id) filter (where e.stream <> ids.s))[1] as foreign_id,
            bool_and(e.stream = ids.s) and count(distinct e.version - ids.k) = 1 as consecutive,
            max(e.version) filter (where ids.k = ids.n) as last_version,
            max(e.epoch) filter (where ids.k = ids.n) as last_epoch,
            max(e.tx::text) filter (where ids.k = ids.n) as last_tx,
            max(e.pos) filter (where ids.k = ids.n) as last_pos
          from ids join (select * from es_events where id = any(event_ids)) e on e.id = ids.event_id
          group by ids.i
        ),
        repeated as (
          select distinct w.i from (
            select ids.i, row_number() over (partition by ids.event_id order by ids.s collate "C", ids.i) as seen from ids
          ) w where w.seen > 1
        )
        select a.i, a.s, a.expected, a.n, coalesce(st.found, 0) as found, st.foreign_id, st.consecutive,
          st.last_version, st.last_epoch, st.last_tx, st.last_pos, rp.i is not null as repeats
        from appends a
        left join stored st on st.i = a.i
        left join repeated rp on rp.i = a.i
        order by a.s collate "C", a.i
      loop
        if r.s is distinct from current_stream then
          current_stream := r.s;
          current_version := coalesce((locked->>r.s)::bigint, 0);
        end if;
        if r.found > 0 then
          d_index := array_append(d_index, r.i);
          if r.foreign_id is not null then
            d_outcome := array_append(d_outcome, 'id_conflict');
          elsif r.found = r.n and r.consecutive then
            d_outcome := array_append(d_outcome, 'ok');
          else
            d_outcome := array_append(d_outcome, 'wrong_version');
          end if;
          d_next := array_append(d_next, r.last_version);
          d_actual := array_append(d_actual, current_version);
          d_epoch := array_append(d_epoch, r.last_epoch::int);
          d_tx := array_append(d_tx, r.last_tx);
          d_pos := array_append(d_pos, r.last_pos);
          d_conflict := array_append(d_conflict, r.foreign_id);
        elsif r.repeats or not (case r.expected
            when 'any' then true
            when 'no_stream' then current_version = 0
            when 'stream_exists' then current_version > 0
            else current_version = r.expected::bigint end) then
          d_index := array_append(d_index, r.i);
          d_outcome := array_append(d_outcome, case when r.repeats then 'deferred' else 'wrong_version' end);
          d_next := array_append(d_next, null::bigint);
          d_actual := array_append(d_actual, current_version);
          d_epoch := array_append(d_epoch, null::int);
          d_tx := array_append(d_tx, null::text);
          d_pos := array_append(d_pos, null::bigint);
          d_conflict := array_append(d_conflict, null::uuid);
        else
          a_index := array_append(a_index, r.i);
          a_stream := array_append(a_stream, r.s);
          a_first := array_append(a_first, current_version + 1);
          current_version := current_version + r.n;
          a_last := array_append(a_last, current_version);
        end if;
      end loop;

      if cardinality(a_index) > 0 then
        with final_versions as (
          select f.s, max(f.last) as version from unnest(a_stream, a_last) as f(s, last) group by f.s
        ),
        created as (
          insert into es_streams (stream, category, version)
          select f.s, case when strpos(f.s, '-') > 1 then left(f.s, strpos(f.s, '-') - 1) else f.s end, f.version
          from final_versions f where not (locked ? f.s)
          on conflict (stream) do nothing
          returning 1
        ),
        moved as (
          update es_streams s set version = f.version
          from final_versions f where s.stream = f.s and locked ? f.s
        )
        select (select count(*) from final_versions f where not (locked ? f.s)) - (select count(*) from created)
        into missing_streams;
        if missing_streams > 0 then
          raise exception 'a stream of this batch was created concurrently' using errcode = 'serialization_failure';
        end if;

        writer := pg_current_xact_id();
        with inserted as (
          insert into es_events (epoch, tx, stream, version, id, type, schema_version, data, metadata)
          select log_epoch, writer, f.s, f.first + u.k - 1, (u.v->>'id')::uuid, u.v->>'type', (u.v->>'sv')::int, u.v->'data', u.v->'meta'
          from unnest(a_index, a_stream, a_first) with ordinality as f(i, s, first, ord)
          cross join lateral jsonb_array_elements(batch->(f.i - 1)->'e') with ordinality as u(v, k)
          order by f.ord, u.k
          returning stream, version, pos
        )
        select array_agg(ins.pos order by f.ord) into a_pos
        from unnest(a_stream, a_last) with ordinality as f(s, last, ord)
        join inserted ins on ins.stream = f.s and ins.version = f.last;

        -- Listeners learn who wrote (to ignore their own commits, of which they know already) and
        -- which types, so only subscribers of those types wake. Over NOTIFY's 8000-byte limit the
        -- types are left out and everyone wakes.
        notice := jsonb_build_object('o', origin, 't', (
          select jsonb_agg(distinct u.v->>'type')
          from unnest(a_index) as f(i) cross join lateral jsonb_array_elements(batch->(f.i - 1)->'e') as u(v)))::text;
        if octet_length(notice) > 7900 then
          notice := jsonb_build_object('o', origin)::text;
        end if;
        perform pg_notify('es_appended', notice);
      end if;

      return query
        select d.i, d.outcome, d.next::text, d.actual::text, d.epoch, d.tx, d.pos::text, d.conflict::text
        from unnest(d_index, d_outcome, d_next, d_actual, d_epoch, d_tx, d_pos, d_conflict)
          as d(i, outcome, next, actual, epoch, tx, pos, conflict)
        union all
        select f.i, 'ok', f.last::text, null, log_epoch::int, writer::text, f.pos::text, null
        from unnest(a_index, a_last, a_pos) as f(i, last, pos);
    end
    $fn$`.execute(db);
}
