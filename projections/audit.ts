import type { Kysely } from 'kysely';
import type { Projection } from '../src/projections/projection.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * Each project's administrative history: who created the project, issued or revoked credentials,
 * set, tested, rotated or removed provider keys, and approved changes, with actor and time.
 * Encrypted material is never copied here; fingerprints and last four characters are.
 */
export const AUDITED_EVENT_TYPES = [
  'ProjectCreated', 'ProjectSettingsChanged', 'DashboardTokenIssued', 'ApiKeyIssued', 'ApiKeyRevoked',
  'ProviderKeySet', 'ProviderKeyRemoved', 'ProviderKeyTested',
] as const;

const NEVER_COPIED = new Set(['ciphertext', 'tokenHash', 'keyHash', 'dataKeyId']);

export const auditProjection: Projection = {
  name: 'audit',
  handles: AUDITED_EVENT_TYPES,
  tables: ['rm_audit'],
  async createTables(db: Kysely<any>) {
    await db.schema.createTable('rm_audit').ifNotExists()
      .addColumn('checkpoint', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'uuid', (c) => c.notNull())
      .addColumn('event_id', 'uuid', (c) => c.notNull())
      .addColumn('stream', 'text', (c) => c.notNull())
      .addColumn('stream_version', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('schema_version', 'integer', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('request_id', 'text')
      .addColumn('recorded_at', 'timestamptz', (c) => c.notNull())
      .addColumn('data', 'jsonb', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rm_audit_project').ifNotExists().on('rm_audit').columns(['project_id', 'checkpoint']).execute();
  },
  async apply(db: Kysely<any>, event: RecordedEvent) {
    const projectId = (event.data as { projectId?: string }).projectId;
    if (!projectId) return;
    const data = Object.fromEntries(Object.entries(event.data).filter(([k]) => !NEVER_COPIED.has(k)));
    await db.insertInto('rm_audit').values({
      checkpoint: event.checkpoint,
      project_id: projectId,
      event_id: event.id,
      stream: event.stream,
      stream_version: event.version.toString(),
      type: event.type,
      schema_version: event.schemaVersion,
      actor: event.metadata.actor,
      request_id: event.metadata.requestId ?? null,
      recorded_at: event.recordedAt,
      data: JSON.stringify(data),
    }).onConflict((oc) => oc.column('checkpoint').doNothing()).execute();
  },
};

export interface AuditQuery {
  projectId: string;
  stream?: string | undefined;
  type?: string | undefined;
  /** Exclusive: entries after this checkpoint. */
  from?: string | undefined;
  limit: number;
}

export async function queryAudit(db: Kysely<any>, q: AuditQuery) {
  let query = db.selectFrom('rm_audit').selectAll()
    .where('project_id', '=', q.projectId)
    .orderBy('checkpoint').limit(q.limit);
  if (q.stream) query = query.where('stream', '=', q.stream);
  if (q.type) query = query.where('type', '=', q.type);
  if (q.from) query = query.where('checkpoint', '>', q.from);
  const rows = await query.execute();
  return rows.map((r: any) => ({
    position: r.checkpoint as string,
    event_id: r.event_id as string,
    stream: r.stream as string,
    stream_version: Number(r.stream_version),
    type: r.type as string,
    schema_version: r.schema_version as number,
    actor: r.actor as string,
    request_id: r.request_id as string | null,
    recorded_at: new Date(r.recorded_at).toISOString(),
    data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
  }));
}
