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
    const d = event.data as any;
    if (event.type === 'CompletionRequested') {
      await db.insertInto('rm_usage_log').values({
        completion_id: d.completionId, project_id: d.projectId, source: d.source, api_key_id: d.apiKeyId,
        provider: d.provider, model: d.model, stream: d.stream, status: 'requested', requested_at: event.recordedAt,
      }).onConflict((oc) => oc.column('completion_id').doNothing()).execute();
      return;
    }
    const status = event.type === 'CompletionSucceeded' ? 'succeeded' : event.type === 'CompletionFailed' ? 'failed' : 'cancelled';
    const u = d.usage as null | { inputTokens: number; cacheReadTokens: number; cacheWriteTokens: number; outputTokens: number; reasoningTokens: number; estimated: boolean };
    const prompt = u ? u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens : 0;
    const completion = u ? u.outputTokens : 0;
    const updated = await db.updateTable('rm_usage_log').set({
      status,
      prompt_tokens: u ? prompt : null,
      completion_tokens: u ? completion : null,
      cache_read_tokens: u?.cacheReadTokens ?? null,
      cache_write_tokens: u?.cacheWriteTokens ?? null,
      reasoning_tokens: u?.reasoningTokens ?? null,
      estimated: u?.estimated ?? null,
      cost_usd: d.costUsd,
      price_table_version: d.priceTableVersion,
      latency_ms: d.latencyMs,
      ttft_ms: d.ttftMs,
      error_kind: d.error?.kind ?? (status === 'cancelled' ? 'cancelled' : null),
      finished_at: event.recordedAt,
    }).where('completion_id', '=', d.completionId).where('status', '=', 'requested')
      .returning(['project_id', 'requested_at']).executeTakeFirst();
    if (!updated) return; // an outcome is counted once, however often it is delivered
    await db.insertInto('rm_usage_daily').values({
      project_id: d.projectId,
      day: sql`(${updated.requested_at}::timestamptz at time zone 'UTC')::date`,
      provider: d.provider, model: d.model, requests: 1, failures: status === 'succeeded' ? 0 : 1,
      prompt_tokens: prompt, completion_tokens: completion, cost_usd: d.costUsd ?? 0,
    }).onConflict((oc) => oc.columns(['project_id', 'day', 'provider', 'model']).doUpdateSet({
      requests: sql`rm_usage_daily.requests + 1`,
      failures: sql`rm_usage_daily.failures + excluded.failures`,
      prompt_tokens: sql`rm_usage_daily.prompt_tokens + excluded.prompt_tokens`,
      completion_tokens: sql`rm_usage_daily.completion_tokens + excluded.completion_tokens`,
      cost_usd: sql`rm_usage_daily.cost_usd + excluded.cost_usd`,
    })).execute();
  },
};

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
