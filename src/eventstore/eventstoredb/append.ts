import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import type { AppendResult, ExpectedVersion, NewEvent, StreamName } from '../port.ts';
import { mapError, toExpectedRevision, toStoredMetadata } from './mapping.ts';
import { checkpointOfRevision } from './readStream.ts';

/**
 * Appends with the server's optimistic concurrency check. Event ids make a retry idempotent: the
 * server recognises ids it already wrote at that position and answers with the original result.
 */
export async function appendToEventStoreDB(
  client: EventStoreDBClient, stream: StreamName, events: NewEvent[], expected: ExpectedVersion,
): Promise<AppendResult> {
  const proposed = events.map((e) => jsonEvent({
    id: e.id,
    type: e.type,
    data: e.data as never,
    metadata: toStoredMetadata(e.metadata, e.schemaVersion),
  }));
  let nextExpectedRevision: bigint;
  try {
    ({ nextExpectedRevision } = await client.appendToStream(stream, proposed, { expectedRevision: toExpectedRevision(expected) }));
  } catch (err) {
    throw mapError(err, stream, expected);
  }
  // The append answer carries one position for the whole write (and none for an idempotent
  // repeat); read-your-writes needs exactly the position readers will see on the last event.
  return { nextVersion: nextExpectedRevision + 1n, checkpoint: await checkpointOfRevision(client, stream, nextExpectedRevision) };
}
