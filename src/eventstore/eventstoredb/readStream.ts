import { BACKWARDS, END, FORWARDS, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import type { Checkpoint, ReadStreamResult, RecordedEvent, StreamName } from '../port.ts';
import { formatCheckpoint, mapError, toRecordedEvent } from './mapping.ts';

/**
 * Reads a stream forwards, then asks for its last revision. Two requests, so the version may be
 * newer than the events returned (never older): appends can land in between.
 */
export async function readStreamFromEventStoreDB(
  client: EventStoreDBClient, stream: StreamName, from: bigint, maxCount: number,
): Promise<ReadStreamResult> {
  const events: RecordedEvent[] = [];
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: from - 1n, maxCount, direction: FORWARDS })) {
      if (resolved.event) events.push(toRecordedEvent(resolved.event));
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return { version: 0n, events: [] };
    throw mapError(err);
  }
  const version = await streamVersion(client, stream);
  const last = events[events.length - 1];
  return { version: last && last.version > version ? last.version : version, events };
}

async function streamVersion(client: EventStoreDBClient, stream: StreamName): Promise<bigint> {
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 })) {
      if (resolved.event) return resolved.event.revision + 1n;
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return 0n;
    throw mapError(err);
  }
  return 0n;
}

/** The checkpoint readers of $all see for the event at `revision` of `stream`. */
export async function checkpointOfRevision(client: EventStoreDBClient, stream: StreamName, revision: bigint): Promise<Checkpoint> {
  try {
    for await (const resolved of client.readStream(stream, { fromRevision: revision, direction: FORWARDS, maxCount: 1 })) {
      const position = resolved.event?.position;
      if (position) return formatCheckpoint(position);
    }
  } catch (err) {
    throw mapError(err);
  }
  throw new Error(`EventStoreDB returned no position for ${stream}@${revision}; version 22.10 or later is required`);
}
