import { sql, type Kysely } from 'kysely';
import type { Projection } from '../src/projections/projection.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * One row per completion (its request and its outcome), and a daily roll-up per project, provider
 * and model for analytics. A completion whose outcome never arrived stays `requested`.
 */
export const usageProjection: Projection = {
  name: 'usage',
  handles: ['CompletionRequested', 'CompletionSucceeded', 'CompletionFailed', 'CompletionCancelled'],
  tables: ['rm_usage_log', 'rm_usage_daily'],
  async createTables(db: Kysely<any>) {
    await db.schema.createTable('rm_usage_log').ifNotExists()
      .addColumn('completion_id', 'uuid', (c) => c.primaryKey())
      .addColumn('project_id', 'uuid', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('api_key_id', 'uuid')
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('stream', 'boolean', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('prompt_tokens', 'integer')
      .addColumn('completion_tokens', 'integer')
      .addColumn('cache_read_tokens', 'integer')
      .addColumn('cache_write_tokens', 'integer')
      .addColumn('reasoning_tokens', 'integer')
      .addColumn('estimated', 'boolean')
      .addColumn('cost_usd', 'double precision')
      .addColumn('price_table_version', 'text')
      .addColumn('latency_ms', 'double precision')
      .addColumn('ttft_ms', 'double precision')
      .addColumn('error_kind', 'text')
      .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
      .addColumn('finished_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('rm_usage_log_project_time').ifNotExists().on('rm_usage_log').columns(['project_id', 'requested_at']).execute();
    await db.schema.createTable('rm_usage_daily').ifNotExists()
      .addColumn('project_id', 'uuid', (c) => c.notNull())
      .addColumn('day', 'date', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('prompt_tokens', 'bigint', (c) => c.notNull())
      .addColumn('completion_tokens', 'bigint', (c) => c.notNull())
      .addColumn('cost_usd', 'double precision', (c) => c.notNull())
      .addPrimaryKeyConstraint('rm_usage_daily_pk', ['project_id', 'day', 'provider', 'model'])
      .execute();
  },
  async apply(db: Kysely<any>, event: RecordedEvent) {
    await applyUsage(db, [event]);
  },
  async applyMany(db: Kysely<any>, events: readonly RecordedEvent[]) {
    await applyUsage(db, events);
  },
};

type UsageRecord = { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number; reasoningTokens: number; estimated: boolean };

/**
 * Applies completion events in three statements however many there are: one insert for the
 * requests, one update of the log rows for the outcomes, and the daily roll-up of exactly the rows
 * that update moved out of `requested` (so an outcome is counted once, however often it is
 * delivered). Events reach this in log order, and a completion's request always precedes its
 * outcome, so inserting every request first is what applying them one by one would do.
 *
 * Daily costs are summed as decimals rounded to a billionth of a dollar, the precision every cost
 * is recorded with: the total is then the same whichever batches the events arrived in, so a
 * rebuild matches the live table exactly.
 */
async function applyUsage(db: Kysely<any>, events: readonly RecordedEvent[]): Promise<void> {
  const requests: object[] = [];
  const outcomes = new Map<string, object>();
  for (const event of events) {
    const d = event.data as any;
    if (event.type === 'CompletionRequested') {
      requests.push({
        completion_id: d.completionId, project_id: d.projectId, source: d.source, api_key_id: d.apiKeyId,
        provider: d.provider, model: d.model, stream: d.stream, requested_at: event.recordedAt,
      });
      continue;
    }
    if (outcomes.has(d.completionId)) continue; // the first outcome counts, as one by one
    const status = event.type === 'CompletionSucceeded' ? 'succeeded' : event.type === 'CompletionFailed' ? 'failed' : 'cancelled';
    const u = d.usage as UsageRecord | null;
    outcomes.set(d.completionId, {
      completion_id: d.completionId, project_id: d.projectId, provider: d.provider, model: d.model, status,
      prompt_tokens: u ? u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens : null,
      completion_tokens: u ? u.outputTokens : null,
      cache_read_tokens: u?.cacheReadTokens ?? null,
      cache_write_tokens: u?.cacheWriteTokens ?? null,
      reasoning_tokens: u?.reasoningTokens ?? null,
      estimated: u?.estimated ?? null,
      cost_usd: d.costUsd, price_table_version: d.priceTableVersion, latency_ms: d.latencyMs, ttft_ms: d.ttftMs,
      error_kind: d.error?.kind ?? (status === 'cancelled' ? 'cancelled' : null),
      finished_at: event.recordedAt,
    });
  }
  if (requests.length > 0) {
    await sql`
      insert into rm_usage_log (completion_id, project_id, source, api_key_id, provider, model, stream, status, requested_at)
      select r.completion_id, r.project_id, r.source, r.api_key_id, r.provider, r.model, r.stream, 'requested', r.requested_at
      from jsonb_to_recordset(${JSON.stringify(requests)}::jsonb) as r(
        completion_id uuid, project_id uuid, source text, api_key_id uuid, provider text, model text, stream boolean, requested_at timestamptz)
      on conflict (completion_id) do nothing`.execute(db);
  }
  if (outcomes.size === 0) return;
  await sql`
    with o as (
      select * from jsonb_to_recordset(${JSON.stringify([...outcomes.values()])}::jsonb) as o(
        completion_id uuid, project_id uuid, provider text, model text, status text,
        prompt_tokens integer, completion_tokens integer, cache_read_tokens integer, cache_write_tokens integer,
        reasoning_tokens integer, estimated boolean, cost_usd double precision, price_table_version text,
        latency_ms double precision, ttft_ms double precision, error_kind text, finished_at timestamptz)
    ),
    moved as (
      update rm_usage_log l set
        status = o.status, prompt_tokens = o.prompt_tokens, completion_tokens = o.completion_tokens,
        cache_read_tokens = o.cache_read_tokens, cache_write_tokens = o.cache_write_tokens,
        reasoning_tokens = o.reasoning_tokens, estimated = o.estimated, cost_usd = o.cost_usd,
        price_table_version = o.price_table_version, latency_ms = o.latency_ms, ttft_ms = o.ttft_ms,
        error_kind = o.error_kind, finished_at = o.finished_at
      from o
      where l.completion_id = o.completion_id and l.status = 'requested'
      returning l.completion_id, l.requested_at
    )
    insert into rm_usage_daily as t (project_id, day, provider, model, requests, failures, prompt_tokens, completion_tokens, cost_usd)
    select o.project_id, (m.requested_at at time zone 'UTC')::date, o.provider, o.model,
      count(*)::int, (count(*) filter (where o.status <> 'succeeded'))::int,
      coalesce(sum(o.prompt_tokens), 0), coalesce(sum(o.completion_tokens), 0),
      round(coalesce(sum(o.cost_usd::numeric), 0), 9)::double precision
    from moved m join o on o.completion_id = m.completion_id
    group by 1, 2, 3, 4
    on conflict (project_id, day, provider, model) do update set
      requests = t.requests + excluded.requests,
      failures = t.failures + excluded.failures,
      prompt_tokens = t.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = t.completion_tokens + excluded.completion_tokens,
      cost_usd = round(t.cost_usd::numeric + excluded.cost_usd::numeric, 9)::double precision`.execute(db);
}

export async function getUsageRow(db: Kysely<any>, completionId: string) {
  return db.selectFrom('rm_usage_log').selectAll().where('completion_id', '=', completionId).executeTakeFirst();
}

/** The spec's usage summary over the last `days` days, with the most recent log rows. */
export async function usageSummary(db: Kysely<any>, projectId: string, days: number, recent: number) {
  const since = sql`(now() at time zone 'UTC')::date - ${days - 1}::int`;
  const byProvider = await db.selectFrom('rm_usage_daily')
    .select(['provider', sql<string>`sum(requests)`.as('requests'), sql<string>`sum(failures)`.as('failures'),
      sql<string>`sum(prompt_tokens)`.as('prompt'), sql<string>`sum(completion_tokens)`.as('completion'), sql<number>`sum(cost_usd)`.as('cost')])
    .where('project_id', '=', projectId).where('day', '>=', since)
    .groupBy('provider').orderBy('provider').execute();
  const logs = await db.selectFrom('rm_usage_log').selectAll()
    .where('project_id', '=', projectId).where('requested_at', '>=', since)
    .orderBy('requested_at', 'desc').limit(recent).execute();
  const total = { requests: 0, failures: 0, prompt: 0, completion: 0, cost: 0 };
  const by_provider: Record<string, { requests: number; failures: number; tokens: number; prompt_tokens: number; completion_tokens: number; cost_usd: number }> = {};
  for (const r of byProvider as any[]) {
    const row = { requests: Number(r.requests), failures: Number(r.failures), prompt: Number(r.prompt), completion: Number(r.completion), cost: Number(r.cost) };
    total.requests += row.requests; total.failures += row.failures; total.prompt += row.prompt; total.completion += row.completion; total.cost += row.cost;
    by_provider[r.provider] = { requests: row.requests, failures: row.failures, tokens: row.prompt + row.completion, prompt_tokens: row.prompt, completion_tokens: row.completion, cost_usd: round(row.cost) };
  }
  return {
    days,
    total_requests: total.requests,
    failed_requests: total.failures,
    total_tokens: { prompt: total.prompt, completion: total.completion },
    total_cost_usd: round(total.cost),
    by_provider,
    recent_logs: (logs as any[]).map((l) => ({
      id: l.completion_id, model: l.model, provider: l.provider, source: l.source, status: l.status, stream: l.stream,
      prompt_tokens: l.prompt_tokens, completion_tokens: l.completion_tokens, estimated: l.estimated,
      cost_usd: l.cost_usd, latency_ms: l.latency_ms, ttft_ms: l.ttft_ms, error: l.error_kind,
      created_at: new Date(l.requested_at).toISOString(),
    })),
  };
}

const round = (n: number) => Math.round(n * 1e9) / 1e9;
