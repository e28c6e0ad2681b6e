import { sql, type Kysely } from 'kysely';
import type { Projection } from '../src/projections/projection.ts';
import type { RecordedEvent } from '../src/eventstore/port.ts';

/** Projects as the admin list shows them. */
export interface ProjectRow {
  id: string;
  name: string;
  store_content: boolean;
  created_at: Date;
  created_by: string;
}

export const projectsProjection: Projection = {
  name: 'projects',
  handles: ['ProjectCreated', 'ProjectSettingsChanged'],
  tables: ['rm_projects'],
  async createTables(db: Kysely<any>) {
    await db.schema.createTable('rm_projects').ifNotExists()
      .addColumn('id', 'uuid', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('store_content', 'boolean', (c) => c.notNull())
      .addColumn('created_at', 'timestamptz', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
  },
  async apply(db: Kysely<any>, event: RecordedEvent) {
    const d = event.data as { projectId: string; name?: string; storeContent: boolean };
    if (event.type === 'ProjectCreated') {
      await db.insertInto('rm_projects')
        .values({ id: d.projectId, name: d.name, store_content: d.storeContent, created_at: event.recordedAt, created_by: event.metadata.actor })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else {
      await db.updateTable('rm_projects').set({ store_content: d.storeContent }).where('id', '=', d.projectId).execute();
    }
  },
};

export async function listProjects(db: Kysely<any>, limit: number, after?: string): Promise<ProjectRow[]> {
  let q = db.selectFrom('rm_projects').selectAll().orderBy('created_at').orderBy('id').limit(limit);
  if (after) q = q.where(sql`(created_at, id)`, '>', db.selectFrom('rm_projects').select(['created_at', 'id']).where('id', '=', after));
  return q.execute() as Promise<ProjectRow[]>;
}

export async function getProject(db: Kysely<any>, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom('rm_projects').selectAll().where('id', '=', id).executeTakeFirst() as Promise<ProjectRow | undefined>;
}
