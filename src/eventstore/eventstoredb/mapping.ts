import {
  ANY, NO_STREAM, START as ESDB_START, STREAM_EXISTS,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
  type AppendExpectedRevision, type CurrentRevision, type Position, type RecordedEvent as EsdbRecordedEvent,
} from '@eventstore/db-client';
import {
  EventStoreUnavailableError, START, WrongExpectedVersionError,
  type Checkpoint, type EventMetadata, type ExpectedVersion, type RecordedEvent, type StreamName,
} from '../port.ts';

/**
 * Translation between the port and EventStoreDB. The port counts versions (N events = version N,
 * 0 = no stream); EventStoreDB numbers revisions from 0, so revision = version - 1.
 */
export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream' || expected === 0n) return NO_STREAM;
  if (expected === 'stream_exists') return STREAM_EXISTS;
  return expected - 1n;
}

export function toVersion(actual: CurrentRevision): bigint {
  return actual === 'no_stream' ? 0n : actual + 1n;
}

// "<commit 20>:<prepare 20>": zero-padded so that string order is the log's (commit, prepare) order.
// Since 20.x each event has its own commit position; the prepare part only breaks ties between
// events of one explicit (legacy TCP) transaction, which share a commit position.
const FORMAT = /^(\d{20}):(\d{20})$/;

export function formatCheckpoint(position: Position): Checkpoint {
  return `${position.commit.toString().padStart(20, '0')}:${position.prepare.toString().padStart(20, '0')}` as Checkpoint;
}

/** The position to read or subscribe from; START for the empty checkpoint. */
export function parseCheckpoint(checkpoint: Checkpoint): Position | typeof ESDB_START {
  if (checkpoint === START) return ESDB_START;
  const m = FORMAT.exec(checkpoint);
  if (!m) throw new TypeError(`not a checkpoint of the EventStoreDB event store: ${JSON.stringify(String(checkpoint).slice(0, 80))}`);
  return { commit: BigInt(m[1]!), prepare: BigInt(m[2]!) };
}

/** System events (`$`-prefixed types) belong to EventStoreDB, never to readers of the port. */
export function isSystemType(type: string): boolean {
  return type.startsWith('$');
}

/** Server-side event type filter: the given types exactly, or everything that is not a system event. */
export function typeRegex(types: readonly string[] | undefined): string {
  if (!types) return '^[^$]';
  return `^(?:${types.map(escapeRegex).join('|')})$`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** What the adapter writes as an event's custom metadata: the port's metadata plus the schema version. */
export function toStoredMetadata(metadata: EventMetadata, schemaVersion: number): Record<string, unknown> {
  return { ...metadata, schemaVersion };
}

export function toRecordedEvent(event: EsdbRecordedEvent): RecordedEvent {
  if (!event.isJson) throw new Error(`event ${event.id} in ${event.streamId} is not JSON; it was not written through this adapter`);
  if (!event.position) throw new Error('EventStoreDB did not return event positions; version 22.10 or later is required');
  const { schemaVersion, ...metadata } = (event.metadata ?? {}) as Record<string, unknown>;
  return {
    id: event.id,
    type: event.type,
    schemaVersion: typeof schemaVersion === 'number' ? schemaVersion : 1,
    data: event.data as Record<string, unknown>,
    metadata: metadata as unknown as EventMetadata,
    stream: event.streamId as StreamName,
    version: event.revision + 1n,
    checkpoint: formatCheckpoint(event.position),
    recordedAt: event.created,
  };
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** Client errors the port knows about become the port's errors; everything else is rethrown as is. */
export function mapError(err: unknown, stream?: StreamName, expected?: ExpectedVersion): unknown {
  if (err instanceof EsdbWrongExpectedVersionError && stream !== undefined && expected !== undefined) {
    return new WrongExpectedVersionError(stream, expected, toVersion(err.actualVersion));
  }
  const code = (err as { code?: unknown })?.code;
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED) {
    const e = new EventStoreUnavailableError(code === GRPC_UNAVAILABLE
      ? 'EventStoreDB is unreachable'
      : 'EventStoreDB did not answer in time; an append may or may not have been written (retrying with the same event ids is safe)');
    (e as { cause?: unknown }).cause = err;
    return e;
  }
  return err;
}
