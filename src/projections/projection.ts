import type { Kysely } from 'kysely';
import type { RecordedEvent } from '../eventstore/port.ts';

/**
 * A read model kept up to date from the event log by the projection runner. The runner applies each
 * batch and moves the projection's checkpoint in one Postgres transaction, so an event is applied
 * exactly once even across crashes; a rebuild replays the whole log into a scratch schema.
 */
export interface Projection {
  readonly name: string;                 // e.g. 'providers'
  readonly handles: readonly string[];   // event types it applies
  readonly tables: readonly string[];    // tables it owns (create order)
  /** Creates its tables (if not exists) in the schema `db` is scoped to. */
  createTables(db: Kysely<any>): Promise<void>;
  /** Applies one event inside the runner's transaction; `db` is scoped (withSchema) to the target schema. Deterministic: no clock, no randomness, no I/O but `db`. */
  apply(db: Kysely<any>, event: RecordedEvent): Promise<void>;
}
