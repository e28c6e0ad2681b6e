import type { Kysely } from 'kysely';
import type { Projection } from '../src/projections/projection.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/**
 * Dashboard tokens and public API keys, by the hash of their secret. Authentication looks a
 * presented credential up here; revoking a key marks it here before the revoke call returns.
 */
export interface CredentialRow {
  id: string;
  project_id: string;
  kind: 'token' | 'api_key';
  name: string;
  secret_hash: string;
  prefix: string | null;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
}

export const credentialsProjection: Projection = {
  name: 'credentials',
  handles: ['DashboardTokenIssued', 'ApiKeyIssued', 'ApiKeyRevoked'],
  tables: ['rm_credentials'],
  async createTables(db: Kysely<any>) {
    await db.schema.createTable('rm_credentials').ifNotExists()
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('project_id', 'uuid', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text')
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'timestamptz')
      .execute();
    await db.schema.createIndex('rm_credentials_project').ifNotExists().on('rm_credentials').columns(['project_id', 'kind']).execute();
  },
  async apply(db: Kysely<any>, event: RecordedEvent) {
    const d = event.data as Record<string, string>;
    const base = { project_id: d.projectId, name: d.name, created_at: event.recordedAt, created_by: event.metadata.actor };
    switch (event.type) {
      case 'DashboardTokenIssued':
        await db.insertInto('rm_credentials').values({ ...base, id: d.tokenId, kind: 'token', secret_hash: d.tokenHash, prefix: null })
          .onConflict((oc) => oc.column('id').doNothing()).execute();
        break;
      case 'ApiKeyIssued':
        await db.insertInto('rm_credentials').values({ ...base, id: d.keyId, kind: 'api_key', secret_hash: d.keyHash, prefix: d.prefix })
          .onConflict((oc) => oc.column('id').doNothing()).execute();
        break;
      case 'ApiKeyRevoked':
        await db.updateTable('rm_credentials').set({ revoked_at: event.recordedAt })
          .where('id', '=', d.keyId).where('revoked_at', 'is', null).execute();
        break;
    }
  },
};

export async function findCredentialByHash(db: Kysely<any>, secretHash: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('rm_credentials').selectAll().where('secret_hash', '=', secretHash).executeTakeFirst() as Promise<CredentialRow | undefined>;
}

export async function listApiKeys(db: Kysely<any>, projectId: string): Promise<CredentialRow[]> {
  return db.selectFrom('rm_credentials').selectAll()
    .where('project_id', '=', projectId).where('kind', '=', 'api_key')
    .orderBy('created_at').orderBy('id').execute() as Promise<CredentialRow[]>;
}
