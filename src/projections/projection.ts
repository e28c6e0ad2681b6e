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
  /**
   * Optional: applies a whole batch (in log order) in a few set-wise statements. Must leave the
   * tables exactly as `apply` on each event in turn would; `apply` stays the reference, used to
   * find the event at fault when this throws. For read models written on the request path's
   * events, where a statement per event would cost more than the events themselves.
   */
  applyMany?(db: Kysely<any>, events: readonly RecordedEvent[]): Promise<void>;
}
