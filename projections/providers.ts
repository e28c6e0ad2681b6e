import type { Kysely } from 'kysely';
import type { Projection } from '../src/projections/projection.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * Each project's configured provider keys. The ciphertext is kept so the call site can decrypt it
 * just in time; this projection itself never decrypts anything.
 */
export interface ProviderKeyRow {
  project_id: string;
  provider: string;
  ciphertext: string;
  data_key_id: string;
  fingerprint: string;
  last4: string;
  key_prefix: string;
  base_url: string | null;
  set_at: Date;
  set_by: string;
  last_test_ok: boolean | null;
  last_test_at: Date | null;
  last_test_latency_ms: number | null;
  last_test_error: unknown;
}

export const providersProjection: Projection = {
  name: 'providers',
  handles: ['ProviderKeySet', 'ProviderKeyRemoved', 'ProviderKeyTested'],
  tables: ['rm_provider_keys'],
  async createTables(db: Kysely<any>) {
    await db.schema.createTable('rm_provider_keys').ifNotExists()
      .addColumn('project_id', 'uuid', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('data_key_id', 'uuid', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('last4', 'text', (c) => c.notNull())
      .addColumn('key_prefix', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text')
      .addColumn('set_at', 'timestamptz', (c) => c.notNull())
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('last_test_ok', 'boolean')
      .addColumn('last_test_at', 'timestamptz')
      .addColumn('last_test_latency_ms', 'integer')
      .addColumn('last_test_error', 'jsonb')
      .addPrimaryKeyConstraint('rm_provider_keys_pk', ['project_id', 'provider'])
      .execute();
  },
  async apply(db: Kysely<any>, event: RecordedEvent) {
    const d = event.data as any;
    switch (event.type) {
      case 'ProviderKeySet': {
        const row = {
          ciphertext: d.ciphertext, data_key_id: d.dataKeyId, fingerprint: d.fingerprint, last4: d.last4,
          key_prefix: d.keyPrefix, base_url: d.baseUrl, set_at: event.recordedAt, set_by: event.metadata.actor,
          last_test_ok: null, last_test_at: null, last_test_latency_ms: null, last_test_error: null,
        };
        await db.insertInto('rm_provider_keys').values({ project_id: d.projectId, provider: d.provider, ...row })
          .onConflict((oc) => oc.columns(['project_id', 'provider']).doUpdateSet(row)).execute();
        break;
      }
      case 'ProviderKeyRemoved':
        await db.deleteFrom('rm_provider_keys').where('project_id', '=', d.projectId).where('provider', '=', d.provider).execute();
        break;
      case 'ProviderKeyTested':
        await db.updateTable('rm_provider_keys').set({
          last_test_ok: d.ok, last_test_at: event.recordedAt, last_test_latency_ms: d.latencyMs,
          last_test_error: d.error ? JSON.stringify(d.error) : null,
        }).where('project_id', '=', d.projectId).where('provider', '=', d.provider).where('fingerprint', '=', d.fingerprint).execute();
        break;
    }
  },
};

export async function listProviderKeys(db: Kysely<any>, projectId: string): Promise<ProviderKeyRow[]> {
  return db.selectFrom('rm_provider_keys').selectAll().where('project_id', '=', projectId).orderBy('provider').execute() as Promise<ProviderKeyRow[]>;
}

export async function getProviderKey(db: Kysely<any>, projectId: string, provider: string): Promise<ProviderKeyRow | undefined> {
  return db.selectFrom('rm_provider_keys').selectAll()
    .where('project_id', '=', projectId).where('provider', '=', provider).executeTakeFirst() as Promise<ProviderKeyRow | undefined>;
}
