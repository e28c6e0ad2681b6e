import { FORWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import type { ReadAllOptions, ReadAllResult, RecordedEvent } from '../port.ts';
import { formatCheckpoint, isSystemType, mapError, parseCheckpoint, toRecordedEvent } from './mapping.ts';

/** Pages of $all looked at per call when a type filter keeps skipping: bounds one call's latency. */
const MAX_PAGES = 10;

/**
 * A page of $all after `after`. The 6.x client's readAll sends no filter to the server (its request
 * always says "no filter"), so system events and unwanted types are dropped here, and `next` moves
 * past every record looked at: exact, at the price of transferring what is dropped. Subscriptions,
 * the long-running consumers, filter on the server (subscribe.ts).
 *
 * Reads of $all include the record at the start position, so anything at or before `after` is
 * skipped.
 */
export async function readAllFromEventStoreDB(client: EventStoreDBClient, options: ReadAllOptions): Promise<ReadAllResult> {
  const wanted = options.types ? new Set(options.types) : undefined;
  const pageSize = options.batchSize + 1;
  const events: RecordedEvent[] = [];
  let next = options.after;
  let caughtUp = false;
  try {
    for (let page = 0; page < MAX_PAGES && events.length < options.batchSize && !caughtUp; page++) {
      let records = 0;
      for await (const resolved of client.readAll({ fromPosition: parseCheckpoint(next), maxCount: pageSize, direction: FORWARDS })) {
        records++;
        const event = resolved.event;
        if (!event || events.length >= options.batchSize) continue;
        if (!event.position) throw new Error('EventStoreDB did not return event positions; version 22.10 or later is required');
        const checkpoint = formatCheckpoint(event.position);
        if (checkpoint <= next) continue;
        next = checkpoint;
        if (isSystemType(event.type) || (wanted && !wanted.has(event.type))) continue;
        events.push(toRecordedEvent(event));
      }
      caughtUp = records < pageSize;
    }
  } catch (err) {
    throw mapError(err);
  }
  return { events, next, caughtUp: caughtUp && events.length < options.batchSize };
}
