import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { EventStore } from './port.ts';

export interface EventStoreFactoryOptions {
  kind: 'postgres' | 'eventstoredb';
  /** The service database: the Postgres event log lives in it; with EventStoreDB it is unused here. */
  database: Database;
  /** `esdb://...` connection string, required for 'eventstoredb'. */
  eventStoreUrl?: string | undefined;
  log: Logger;
}

/** Opens the configured event store. Each adapter is loaded only when chosen. */
export async function createEventStore(options: EventStoreFactoryOptions): Promise<EventStore> {
  const log = options.log.child({ component: 'eventstore' });
  if (options.kind === 'postgres') {
    const { createPostgresEventStore } = await import('./postgres/store.ts');
    const { ensureLogEpoch } = await import('./postgres/epoch.ts');
    await ensureLogEpoch(options.database.db, log);
    return createPostgresEventStore({ database: options.database, log });
  }
  if (!options.eventStoreUrl) throw new TypeError('eventStoreUrl is required for the eventstoredb event store');
  const { connectEventStoreDB } = await import('./eventstoredb/store.ts');
  return connectEventStoreDB({ connectionString: options.eventStoreUrl, log });
}
