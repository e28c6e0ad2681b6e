import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import { START, type Checkpoint } from '../port.ts';
import { formatCheckpoint, mapError } from './mapping.ts';

/**
 * The position of the last record in $all, system records included: readers move their `next`
 * past those too, so a caught-up reader's checkpoint equals this.
 */
export async function headOfEventStoreDB(client: EventStoreDBClient): Promise<Checkpoint> {
  try {
    for await (const resolved of client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
      const position = resolved.event?.position ?? resolved.link?.position;
      if (position) return formatCheckpoint(position);
    }
  } catch (err) {
    throw mapError(err);
  }
  return START;
}
