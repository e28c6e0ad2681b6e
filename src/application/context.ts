import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Checkpoint, EventStore } from '../eventstore/port.ts';
import type { Logger } from '../log.ts';
import type { DataKeys } from '../crypto/dataKeys.ts';
import type { HotCache } from './hotCache.ts';

/** Waits until the named read models reflect a write (read-your-writes). */
export type AwaitProjections = (checkpoint: Checkpoint, projections: string[]) => Promise<void>;

/** What application services and routes share; built once by the composition root. */
export interface AppContext {
  config: Config;
  log: Logger;
  database: Database;
  eventStore: EventStore;
  awaitProjections: AwaitProjections;
  adminToken: string;
  /** Data keys for sealing and opening provider keys (see src/crypto/secrets.ts). */
  dataKeys: DataKeys;
  /** Credentials, settings and provider keys of the hot path (see hotCache.ts). */
  cache: HotCache;
  /** Aborted when the process begins a graceful shutdown. */
  shuttingDown?: AbortSignal;
}
