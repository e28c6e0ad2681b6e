/**
 * The event store port. Two adapters implement it: Postgres (embedded PGlite or native, the default)
 * and EventStoreDB. Both must pass test/eventstore/contract.ts; callers never learn which one runs.
 *
 * Versions are counts: a stream with N events has version N, and 0n means "no stream". Checkpoints
 * are opaque strings made only by the adapter that orders them; comparing two with `<` orders them.
 */

/** `<category>-<id>`, e.g. `project-3f2a...`, `providerKey-<project>-openai`. */
export type StreamName = string;

export type Checkpoint = string & { readonly __checkpoint: unique symbol };
/** Before the first event of the log. */
export const START = '' as Checkpoint;

export type ExpectedVersion = bigint | 'no_stream' | 'stream_exists' | 'any';

export interface EventMetadata {
  /** Who caused it: `admin`, `token:<id>`, `apikey:<id>`, `system`. */
  actor: string;
  requestId?: string | undefined;
  correlationId?: string | undefined;
  causationId?: string | undefined;
}

export interface NewEvent {
  /** UUID chosen by the caller; appending the same ids again is a no-op (idempotent retry). */
  id: string;
  type: string;
  schemaVersion: number;
  data: Record<string, unknown>;
  metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  stream: StreamName;
  /** 1-based position in its stream. */
  version: bigint;
  /** Position in the global log; strictly increasing in the order readAll returns events. */
  checkpoint: Checkpoint;
  recordedAt: Date;
}

export interface AppendOptions {
  expected: ExpectedVersion;
  /**
   * `'flushed'` (default): resolves once the events are durable. `'deferred'`: resolves once they
   * are committed and visible to every reader, without waiting for them to reach disk; a crash of
   * the database server (not of this process) may lose them until the next flushed append, which
   * makes everything committed before it durable too. For events that only matter together with a
   * later flushed one, such as a completion's request before its outcome. EventStoreDB always
   * flushes.
   */
  durability?: 'flushed' | 'deferred';
}

export interface AppendResult {
  /** The stream's version after the append. */
  nextVersion: bigint;
  /** Checkpoint of the last appended event: what read-your-writes waits for. */
  checkpoint: Checkpoint;
}

export interface ReadStreamOptions {
  /** First version to return (1-based); default 1. */
  fromVersion?: bigint;
  maxCount?: number;
}

export interface ReadStreamResult {
  version: bigint;
  events: RecordedEvent[];
}

export interface ReadAllOptions {
  after: Checkpoint;
  batchSize: number;
  /** Only these event types; `next` still moves past the others a reader has no use for. */
  types?: readonly string[];
}

export interface ReadAllResult {
  events: RecordedEvent[];
  /** Where the next call should start. Never moves past an event that could still appear before it. */
  next: Checkpoint;
  caughtUp: boolean;
  /**
   * Committed events exist past `next` that cannot be handed out yet, because a transaction that
   * began before them is still running (Postgres). A reader should look again soon, not wait for
   * the next commit notice: none may come.
   */
  pending?: boolean;
}

export interface Subscription {
  close(): Promise<void>;
}

export interface SubscribeOptions {
  after: Checkpoint;
  types?: readonly string[];
  /** Most events per `onEvents` call (the adapter's default when absent). */
  batchSize?: number;
  /**
   * When caught up and woken by a new commit, wait this long before reading, so that events
   * committed close together arrive as one batch (one read-model transaction instead of several).
   * Adds at most this much delay; 0 (default) reads at once. Postgres adapter only.
   */
  lingerMs?: number;
  /**
   * Called with each batch, in log order, one batch at a time. A rejection stops the subscription.
   * The batch may be empty when only `next` moved (past events the type filter dropped), so a
   * consumer can store a checkpoint past them.
   */
  onEvents(events: RecordedEvent[], next: Checkpoint): Promise<void>;
  onError?(err: unknown): void;
}

export interface EventStore {
  readonly kind: 'postgres' | 'eventstoredb';
  append(stream: StreamName, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  readStream(stream: StreamName, options?: ReadStreamOptions): Promise<ReadStreamResult>;
  readAll(options: ReadAllOptions): Promise<ReadAllResult>;
  /** Every event after `after`, exactly once and in order, then new ones as they commit. */
  subscribe(options: SubscribeOptions): Subscription;
  /** The checkpoint of the last event a reader can see now. */
  head(): Promise<Checkpoint>;
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  override name = 'WrongExpectedVersionError';
  readonly code = 'WRONG_EXPECTED_VERSION';
  readonly stream: StreamName;
  readonly expected: ExpectedVersion;
  readonly actual: bigint;
  constructor(stream: StreamName, expected: ExpectedVersion, actual: bigint) {
    super(`stream ${stream}: expected version ${String(expected)}, actual ${actual}`);
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

export class EventStoreUnavailableError extends Error {
  override name = 'EventStoreUnavailableError';
  readonly code = 'EVENT_STORE_UNAVAILABLE';
}
